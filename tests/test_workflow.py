"""The verification workflow (DESIGN §3): the transition table, roles, rationale, the ledger events it writes,
credibility derived from status, and the audit views of a workflow run."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.factories import add_evidence, history_of, make_claim, make_source, move

PROBLEM = "application/problem+json"
EVENT_FIELDS = {
    "seq",
    "type",
    "actor",
    "at",
    "claim_id",
    "source_id",
    "from_status",
    "to_status",
    "rationale",
    "payload",
    "prev_hash",
    "hash",
    "leaf_hash",
}
CREDIBILITY = {
    "claimed": 6,
    "under_review": 6,
    "confirmed": 1,
    "corroborated": 2,
    "disputed": 4,
    "refuted": 5,
    "unverifiable": 6,
    "retracted": 6,
}
REVIEWED = ("corroborated", "confirmed", "disputed", "refuted", "unverifiable")


class Scene:
    """A claim by the General Staff (recorded by `analyst`), and sources inside and outside its party."""

    def __init__(self, api: Api) -> None:
        client = api.as_("analyst")
        self.staff = make_source(client, name="General Staff of the Armed Forces of Ukraine")
        self.spokesman = make_source(
            client, name="Oleksandr Shtupun", kind="individual", parent_id=self.staff["id"], role="spokesman"
        )
        self.isw = make_source(client, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
        self.claim = make_claim(client, self.staff["id"], statement="Russian forces withdraw from Kharkiv.")
        self.api = api

    def evidence(self, stance: str = "supports", provider: str = "isw") -> dict[str, Any]:
        """An evidence item on the claim: by ISW (independent) or by the spokesman (same party)."""
        source = self.isw if provider == "isw" else self.spokesman
        return add_evidence(self.api.as_("analyst"), self.claim, source["id"], stance)

    def reach(self, status: str) -> dict[str, Any]:
        """Walk the claim to `status` by allowed moves, adding whatever evidence the target needs."""
        if status == "claimed":
            return self.current()
        if status == "retracted":
            return moved(self.api, "reviewer", self.claim, "retracted")
        moved(self.api, "analyst", self.claim, "under_review")
        if status == "under_review":
            return self.current()
        if status in ("confirmed", "corroborated"):
            self.evidence("supports")
        if status == "refuted":
            self.evidence("contradicts")
        return moved(self.api, "reviewer", self.claim, status)

    def current(self) -> dict[str, Any]:
        response = self.api.as_("viewer").get(f"/v1/claims/{self.claim['id']}")
        assert response.status_code == 200
        return dict(response.json())

    def history(self) -> list[dict[str, Any]]:
        return history_of(self.api.as_("viewer"), self.claim["id"])

    def status_events(self) -> list[dict[str, Any]]:
        return [event for event in self.history() if event["type"] == "claim.status_changed"]


def moved(api: Api, who: str, claim: dict[str, Any], status: str, **fields: Any) -> dict[str, Any]:
    """Move the claim as `who`, asserting success; the claim as answered."""
    response = move(api.as_(who), claim, status, **fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert response.headers["ETag"] == f'"{body["version"]}"'
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def assert_refused_without_trace(scene: Scene, response: httpx.Response, status: int, before: dict[str, Any]) -> None:
    """A refused move answers `status` and leaves the claim, its version and its ledger untouched."""
    assert_problem(response, status)
    after = scene.current()
    assert after["status"] == before["status"]
    assert after["version"] == before["version"]
    assert len(scene.history()) == before["_events"]


def snapshot(scene: Scene) -> dict[str, Any]:
    return {**scene.current(), "_events": len(scene.history())}


# ---- the transition table ----------------------------------------------------------------------


def test_analyst_opens_review_of_a_fresh_claim(api: Api) -> None:
    scene = Scene(api)
    claim = moved(api, "analyst", scene.claim, "under_review")
    assert claim["version"] == 2
    assert claim["credibility"] == 6
    assert claim["status_changed_at"] > scene.claim["status_changed_at"]
    [event] = scene.status_events()
    assert (event["from_status"], event["to_status"]) == ("claimed", "under_review")
    assert event["actor"]["name"] == "analyst"


def test_analyst_cannot_retract_a_claim(api: Api) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    response = move(api.as_("analyst"), scene.claim, "retracted")
    assert_refused_without_trace(scene, response, 403, before)
    assert "reviewer" in response.json()["detail"]


def test_reviewer_retracts_a_fresh_claim(api: Api) -> None:
    scene = Scene(api)
    claim = moved(api, "reviewer", scene.claim, "retracted")
    assert claim["credibility"] == 6
    [event] = scene.status_events()
    assert (event["from_status"], event["to_status"], event["actor"]["name"]) == ("claimed", "retracted", "reviewer")


@pytest.mark.parametrize("target", ["disputed", "unverifiable"])
def test_reviewer_judges_a_claim_under_review_without_evidence(api: Api, target: str) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    claim = moved(api, "reviewer", scene.claim, target)
    assert claim["credibility"] == CREDIBILITY[target]
    assert scene.status_events()[-1]["from_status"] == "under_review"


@pytest.mark.parametrize("target", ["disputed", "unverifiable", "retracted"])
def test_analyst_cannot_judge_a_claim_under_review(api: Api, target: str) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    before = snapshot(scene)
    assert_refused_without_trace(scene, move(api.as_("analyst"), scene.claim, target), 403, before)


@pytest.mark.parametrize(("start", "target"), [("disputed", "unverifiable"), ("unverifiable", "disputed")])
def test_reviewer_moves_a_reviewed_claim_to_another_reviewed_status(api: Api, start: str, target: str) -> None:
    scene = Scene(api)
    scene.reach(start)
    claim = moved(api, "reviewer2", scene.claim, target)
    assert claim["credibility"] == CREDIBILITY[target]
    last = scene.status_events()[-1]
    assert (last["from_status"], last["to_status"], last["actor"]["name"]) == (start, target, "reviewer2")


def test_reviewer_moves_through_every_reviewed_status_with_the_evidence_each_needs(api: Api) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    scene.evidence("supports")
    scene.evidence("contradicts")
    path = ["corroborated", "confirmed", "disputed", "refuted", "unverifiable", "under_review", "retracted"]
    for target in path:
        claim = moved(api, "reviewer", scene.claim, target)
        assert claim["credibility"] == CREDIBILITY[target]
    moves = [(event["from_status"], event["to_status"]) for event in scene.status_events()]
    assert moves == list(zip(["claimed", "under_review", *path[:-1]], ["under_review", *path], strict=True))


@pytest.mark.parametrize("start", ["disputed", "unverifiable"])
@pytest.mark.parametrize("target", ["under_review", "retracted"])
def test_reviewer_reopens_or_retracts_a_reviewed_claim(api: Api, start: str, target: str) -> None:
    scene = Scene(api)
    scene.reach(start)
    claim = moved(api, "reviewer", scene.claim, target)
    assert claim["credibility"] == 6


def test_analyst_cannot_reopen_a_reviewed_claim(api: Api) -> None:
    scene = Scene(api)
    scene.reach("disputed")
    before = snapshot(scene)
    assert_refused_without_trace(scene, move(api.as_("analyst"), scene.claim, "under_review"), 403, before)


def test_reviewer_reopens_a_retracted_claim(api: Api) -> None:
    scene = Scene(api)
    scene.reach("retracted")
    claim = moved(api, "reviewer", scene.claim, "under_review")
    assert claim["credibility"] == 6
    last = scene.status_events()[-1]
    assert (last["from_status"], last["to_status"]) == ("retracted", "under_review")


def test_analyst_cannot_reopen_a_retracted_claim(api: Api) -> None:
    scene = Scene(api)
    scene.reach("retracted")
    before = snapshot(scene)
    assert_refused_without_trace(scene, move(api.as_("analyst"), scene.claim, "under_review"), 403, before)


@pytest.mark.parametrize("target", ["disputed", "unverifiable", "corroborated", "confirmed", "refuted"])
def test_retracted_claim_can_only_be_reopened(api: Api, target: str) -> None:
    scene = Scene(api)
    scene.evidence("supports")
    scene.evidence("contradicts")
    scene.reach("retracted")
    before = snapshot(scene)
    response = move(api.as_("reviewer2"), scene.claim, target)
    assert_refused_without_trace(scene, response, 409, before)
    assert response.json()["rule"] == "transition"


@pytest.mark.parametrize("start", ["claimed", "under_review", "disputed", "unverifiable", "retracted", "confirmed"])
@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_nothing_moves_back_to_claimed(api: Api, start: str, who: str) -> None:
    scene = Scene(api)
    scene.reach(start)
    before = snapshot(scene)
    response = move(api.as_(who), scene.claim, "claimed")
    assert_refused_without_trace(scene, response, 409, before)
    assert response.json()["rule"] == "transition"


@pytest.mark.parametrize("target", ["confirmed", "corroborated", "refuted", "disputed", "unverifiable"])
def test_fresh_claim_cannot_be_judged_without_review(api: Api, target: str) -> None:
    scene = Scene(api)
    scene.evidence("supports")
    scene.evidence("contradicts")
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, target)
    assert_refused_without_trace(scene, response, 409, before)
    assert response.json()["rule"] == "transition"


@pytest.mark.parametrize("status", ["under_review", "disputed", "unverifiable", "retracted", "confirmed"])
def test_move_to_the_same_status_is_409(api: Api, status: str) -> None:
    scene = Scene(api)
    scene.reach(status)
    before = snapshot(scene)
    response = move(api.as_("reviewer2"), scene.claim, status)
    assert_refused_without_trace(scene, response, 409, before)


@pytest.mark.parametrize("target", ["under_review", "retracted"])
def test_viewer_cannot_move_a_claim(api: Api, target: str) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    assert_refused_without_trace(scene, move(api.as_("viewer"), scene.claim, target), 403, before)


def test_move_without_a_key_is_401(api: Api) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    response = api.anonymous().post(
        f"/v1/claims/{scene.claim['id']}/status",
        json={"status": "under_review", "rationale": "x"},
        headers={"If-Match": '"1"'},
    )
    assert_refused_without_trace(scene, response, 401, before)


# ---- rationale, If-Match and unknown claims -----------------------------------------------------


@pytest.mark.parametrize("rationale", [None, "", "   ", "\n\t", "bad\x00byte"])
def test_move_without_a_real_rationale_is_422(api: Api, rationale: str | None) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    body: dict[str, Any] = {"status": "under_review"}
    if rationale is not None:
        body["rationale"] = rationale
    response = api.as_("analyst").post(f"/v1/claims/{scene.claim['id']}/status", json=body, headers={"If-Match": '"1"'})
    assert_refused_without_trace(scene, response, 422, before)
    assert any("rationale" in error["loc"] for error in response.json()["errors"])


def test_unknown_target_status_is_422(api: Api) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, "true")
    assert_refused_without_trace(scene, response, 422, before)


def test_move_without_if_match_is_428(api: Api) -> None:
    scene = Scene(api)
    before = snapshot(scene)
    response = api.as_("analyst").post(
        f"/v1/claims/{scene.claim['id']}/status", json={"status": "under_review", "rationale": "opening a review"}
    )
    assert_refused_without_trace(scene, response, 428, before)


def test_move_with_a_stale_if_match_is_412(api: Api) -> None:
    scene = Scene(api)
    scene.evidence("supports")  # version 2 now
    before = snapshot(scene)
    response = api.as_("analyst").post(
        f"/v1/claims/{scene.claim['id']}/status",
        json={"status": "under_review", "rationale": "opening a review"},
        headers={"If-Match": '"1"'},
    )
    assert_refused_without_trace(scene, response, 412, before)


def test_move_of_an_unknown_claim_is_404(api: Api) -> None:
    response = api.as_("reviewer").post(
        "/v1/claims/00000000-0000-4000-8000-000000000001/status",
        json={"status": "under_review", "rationale": "x"},
        headers={"If-Match": '"1"'},
    )
    assert_problem(response, 404)


# ---- evidence rules and four eyes -------------------------------------------------------------------


@pytest.mark.parametrize(("target", "stance"), [("confirmed", "supports"), ("corroborated", "supports")])
def test_judgement_needs_independent_evidence_not_the_sources_own_party(api: Api, target: str, stance: str) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    own = scene.evidence(stance, provider="spokesman")
    assert own["independent"] is False
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, target)
    assert_refused_without_trace(scene, response, 409, before)
    assert response.json()["rule"] == "independent_evidence"
    independent = scene.evidence(stance)
    assert independent["independent"] is True
    assert moved(api, "reviewer", scene.claim, target)["credibility"] == CREDIBILITY[target]


def test_refuting_needs_independent_contradicting_evidence(api: Api) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    scene.evidence("supports")  # independent, but the wrong stance
    scene.evidence("contradicts", provider="spokesman")  # right stance, same party
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, "refuted")
    assert_refused_without_trace(scene, response, 409, before)
    assert response.json()["rule"] == "independent_evidence"
    scene.evidence("contradicts")
    assert moved(api, "reviewer", scene.claim, "refuted")["credibility"] == 5


def test_named_evidence_ids_limit_the_evidence_rule_to_those_items(api: Api) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    own = scene.evidence("supports", provider="spokesman")
    independent = scene.evidence("supports")
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, "confirmed", evidence_ids=[own["id"]])
    assert_refused_without_trace(scene, response, 409, before)
    claim = moved(api, "reviewer", scene.claim, "confirmed", evidence_ids=[independent["id"]])
    assert claim["credibility"] == 1
    assert scene.status_events()[-1]["payload"]["evidence_ids"] == [independent["id"]]


def test_evidence_ids_of_another_claim_are_422(api: Api) -> None:
    scene = Scene(api)
    scene.reach("under_review")
    other = make_claim(api.as_("analyst"), scene.isw["id"])
    foreign = add_evidence(api.as_("analyst"), other, scene.staff["id"])
    before = snapshot(scene)
    response = move(api.as_("reviewer"), scene.claim, "confirmed", evidence_ids=[foreign["id"]])
    assert_refused_without_trace(scene, response, 422, before)


@pytest.mark.parametrize(("target", "stance"), [("confirmed", "supports"), ("refuted", "contradicts")])
def test_recorder_of_a_claim_cannot_confirm_or_refute_it(api: Api, target: str, stance: str) -> None:
    scene = Scene(api)
    claim = make_claim(api.as_("reviewer"), scene.staff["id"])
    moved(api, "reviewer", claim, "under_review")
    add_evidence(api.as_("analyst"), claim, scene.isw["id"], stance)
    response = move(api.as_("reviewer"), claim, target)
    assert_problem(response, 403)
    assert response.json()["rule"] == "four_eyes"
    assert api.as_("viewer").get(f"/v1/claims/{claim['id']}").json()["status"] == "under_review"
    assert moved(api, "reviewer2", claim, target)["status"] == target


def test_recorder_may_make_judgements_outside_four_eyes(api: Api) -> None:
    scene = Scene(api)
    claim = make_claim(api.as_("reviewer"), scene.staff["id"])
    moved(api, "reviewer", claim, "under_review")
    assert moved(api, "reviewer", claim, "disputed")["credibility"] == 4


# ---- the ledger: history, credibility, audit ---------------------------------------------------------


def test_each_successful_move_writes_exactly_one_status_event_and_refusals_none(api: Api) -> None:
    scene = Scene(api)
    assert move(api.as_("reviewer"), scene.claim, "confirmed").status_code == 409
    moved(api, "analyst", scene.claim, "under_review")
    assert move(api.as_("analyst"), scene.claim, "disputed").status_code == 403
    moved(api, "reviewer", scene.claim, "disputed")
    assert move(api.as_("reviewer"), scene.claim, "disputed").status_code == 409
    moved(api, "reviewer", scene.claim, "unverifiable")
    events = scene.status_events()
    assert [(event["from_status"], event["to_status"]) for event in events] == [
        ("claimed", "under_review"),
        ("under_review", "disputed"),
        ("disputed", "unverifiable"),
    ]
    assert scene.current()["version"] == 4


def test_history_is_oldest_first_with_the_full_event_shape(api: Api) -> None:
    scene = Scene(api)
    moved(api, "analyst", scene.claim, "under_review", rationale="Needs checking against imagery.")
    evidence = scene.evidence("supports")
    moved(api, "reviewer", scene.claim, "corroborated", rationale="ISW assesses the same withdrawal.")
    history = scene.history()
    assert [event["type"] for event in history] == [
        "claim.created",
        "claim.status_changed",
        "evidence.added",
        "claim.status_changed",
    ]
    seqs = [event["seq"] for event in history]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    ats = [event["at"] for event in history]
    assert ats == sorted(ats)
    for event in history:
        assert set(event) == EVENT_FIELDS
        assert event["claim_id"] == scene.claim["id"]
        assert event["source_id"] == scene.staff["id"]
        assert len(event["hash"]) == len(event["prev_hash"]) == 64
        assert event["hash"] != event["prev_hash"]
        assert set(event["actor"]) == {"id", "name"}
    created, opened, added, corroborated = history
    assert created["actor"] == scene.claim["created_by"]
    assert created["to_status"] == "claimed"
    assert opened["actor"]["name"] == "analyst"
    assert opened["actor"]["id"] == scene.claim["created_by"]["id"]
    assert (opened["from_status"], opened["to_status"]) == ("claimed", "under_review")
    assert opened["rationale"] == "Needs checking against imagery."
    assert opened["payload"] == {"evidence_ids": [], "version": 2}
    assert added["payload"]["evidence_id"] == evidence["id"]
    assert corroborated["actor"]["name"] == "reviewer"
    assert corroborated["actor"]["id"] != scene.claim["created_by"]["id"]
    assert (corroborated["from_status"], corroborated["to_status"]) == ("under_review", "corroborated")
    assert corroborated["rationale"] == "ISW assesses the same withdrawal."
    assert corroborated["payload"]["version"] == 4
    assert scene.current()["status_changed_at"] == corroborated["at"]


def test_history_of_an_unknown_claim_is_404(api: Api) -> None:
    response = api.as_("viewer").get("/v1/claims/00000000-0000-4000-8000-000000000001/history")
    assert_problem(response, 404)


@pytest.mark.parametrize("status", [*REVIEWED, "under_review", "retracted", "claimed"])
def test_credibility_follows_status(api: Api, status: str) -> None:
    scene = Scene(api)
    claim = scene.reach(status)
    assert claim["credibility"] == CREDIBILITY[status]
    assert scene.current()["credibility"] == CREDIBILITY[status]
    listed = api.as_("viewer").get("/v1/claims", params={"status": status}).json()["items"]
    assert [(item["id"], item["credibility"]) for item in listed] == [(scene.claim["id"], CREDIBILITY[status])]


def _workflow_run(api: Api) -> Scene:
    scene = Scene(api)
    moved(api, "analyst", scene.claim, "under_review")
    scene.evidence("supports")
    moved(api, "reviewer", scene.claim, "confirmed")
    moved(api, "reviewer2", scene.claim, "disputed")
    return scene


def _audit(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.as_("viewer").get("/v1/audit", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return list(response.json()["items"])


def test_audit_filters_by_actor_name_and_id(api: Api) -> None:
    scene = _workflow_run(api)
    by_name = _audit(api, actor="reviewer")
    assert [(event["type"], event["to_status"]) for event in by_name] == [("claim.status_changed", "confirmed")]
    reviewer = by_name[0]["actor"]
    assert reviewer["name"] == "reviewer"
    assert _audit(api, actor=reviewer["id"]) == by_name
    analyst_events = _audit(api, actor="analyst")
    assert {event["actor"]["name"] for event in analyst_events} == {"analyst"}
    assert len(analyst_events) == 6  # three sources, the claim, the review it opened, the evidence
    assert _audit(api, actor=scene.claim["created_by"]["id"]) == analyst_events
    assert_problem(api.as_("viewer").get("/v1/audit", params={"actor": "nobody"}), 422)


def test_audit_filters_by_type_and_claim(api: Api) -> None:
    scene = _workflow_run(api)
    other = make_claim(api.as_("analyst"), scene.isw["id"])
    moved(api, "analyst", other, "under_review")
    changes = _audit(api, type="claim.status_changed")
    assert len(changes) == 4
    assert {event["type"] for event in changes} == {"claim.status_changed"}
    of_claim = _audit(api, type="claim.status_changed", claim=scene.claim["id"])
    assert [event["to_status"] for event in of_claim] == ["under_review", "confirmed", "disputed"]
    assert [event["actor"]["name"] for event in of_claim] == ["analyst", "reviewer", "reviewer2"]
    assert _audit(api, claim=scene.claim["id"]) == scene.history()
    assert _audit(api, type="claim.no_such_type") == []


def test_audit_since_seq_is_the_change_feed(api: Api) -> None:
    scene = Scene(api)
    everything = _audit(api)
    last_seen = everything[-1]["seq"]
    assert _audit(api, since_seq=last_seen) == []
    moved(api, "analyst", scene.claim, "under_review")
    moved(api, "reviewer", scene.claim, "unverifiable")
    feed = _audit(api, since_seq=last_seen)
    assert [event["seq"] for event in feed] == [last_seen + 1, last_seen + 2]
    assert [event["to_status"] for event in feed] == ["under_review", "unverifiable"]
    assert _audit(api, since_seq=0) == _audit(api)
    assert [event["seq"] for event in _audit(api)] == list(range(1, last_seen + 3))


def test_audit_chain_verifies_after_a_workflow_run(api: Api) -> None:
    _workflow_run(api)
    events = _audit(api)
    response = api.as_("viewer").get("/v1/audit/verify")
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert response.json()["events"] == len(events)
    for previous, event in itertools.pairwise(events):
        assert event["prev_hash"] == previous["hash"]


def test_history_is_a_page_like_every_list(api: Api) -> None:
    scene = Scene(api)
    scene.reach("confirmed")
    client = api.as_("viewer")
    everything = history_of(client, scene.claim["id"])
    assert len(everything) >= 4
    first = client.get(f"/v1/claims/{scene.claim['id']}/history", params={"limit": 2}).json()
    assert set(first) == {"items", "next_cursor"}
    assert [event["seq"] for event in first["items"]] == [event["seq"] for event in everything[:2]]
    rest = client.get(
        f"/v1/claims/{scene.claim['id']}/history", params={"limit": 500, "cursor": first["next_cursor"]}
    ).json()
    assert [event["seq"] for event in rest["items"]] == [event["seq"] for event in everything[2:]]
    assert rest["next_cursor"] is None
