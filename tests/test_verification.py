"""Verification that can be trusted: evidence, independence, four eyes, amendments, time travel, idempotency, links.

Every test runs on SQLite and on PostgreSQL (the `api` fixture is parametrised over both engines).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError

from api.database import Database
from api.services.claims.records import place_names
from models import Evidence
from tests.conftest import Api
from tests.factories import add_evidence, amend, events_of, history_of, make_claim, make_document, make_source, move

PROBLEM = "application/problem+json"


def _parties(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """A ministry with a spokesman and his deputy (one party), and an outside think tank with an analyst."""
    ministry = make_source(client, name="Ministry of Defence of Ukraine", kind="government", affiliation="UA")
    spokesman = make_source(
        client, name="Ministry spokesman", kind="individual", parent_id=ministry["id"], role="spokesman"
    )
    deputy = make_source(
        client, name="Deputy spokesman", kind="individual", parent_id=spokesman["id"], role="deputy spokesman"
    )
    outsider = make_source(client, name="Institute for the Study of War", kind="think_tank", affiliation="US")
    outside_analyst = make_source(client, name="ISW analyst", kind="individual", parent_id=outsider["id"])
    return {
        "ministry": ministry,
        "spokesman": spokesman,
        "deputy": deputy,
        "outsider": outsider,
        "outside_analyst": outside_analyst,
    }


def _claim_under_review(api: Api, source_id: str, creator: str = "analyst") -> dict[str, Any]:
    client = api.as_(creator)
    claim = make_claim(client, source_id)
    assert move(client, claim, "under_review").status_code == 200
    return claim


def _evidence_without_provider(client: httpx.Client, claim_id: str, **fields: Any) -> dict[str, Any]:
    body = {"stance": "supports", "kind": "other", "note": "unattributed", **fields}
    response = client.post(f"/v1/claims/{claim_id}/evidence", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _status_of(api: Api, claim_id: str) -> str:
    return str(api.as_("viewer").get(f"/v1/claims/{claim_id}").json()["status"])


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# ---- 1. evidence ---------------------------------------------------------------------------------------------


def test_evidence_is_recorded_listed_and_ledgered(api: Api) -> None:
    client = api.as_("analyst")
    parties = _parties(client)
    claim = make_claim(client, parties["ministry"]["id"])
    other = make_claim(client, parties["outsider"]["id"])

    first = add_evidence(
        client,
        claim,
        parties["outsider"]["id"],
        "supports",
        kind="imagery",
        url="https://example.org/satellite/kharkiv.png",
        note="Satellite image of the withdrawal.",
    )
    assert first["claim_id"] == claim["id"]
    assert (first["stance"], first["kind"]) == ("supports", "imagery")
    assert first["url"] == "https://example.org/satellite/kharkiv.png"
    assert first["provided_by"] == {"id": parties["outsider"]["id"], "name": "Institute for the Study of War"}
    assert first["provider_party"]["id"] == parties["outsider"]["id"]
    assert first["independent"] is True
    assert first["note"] == "Satellite image of the withdrawal."
    assert first["added_by"]["name"] == "analyst"
    second = add_evidence(
        client, claim, parties["spokesman"]["id"], "contradicts", kind="claim", related_claim_id=other["id"]
    )
    assert second["related_claim_id"] == other["id"]
    assert second["provider_party"]["id"] == parties["ministry"]["id"]
    assert second["independent"] is False
    report = make_document(client, title="UPI, 14 May 2022", url="https://www.upi.com/kharkiv")
    third = add_evidence(client, claim, parties["deputy"]["id"], "supports", url=None, document_id=report["id"])
    assert third["document"] == {"id": report["id"], "title": "UPI, 14 May 2022", "url": "https://www.upi.com/kharkiv"}

    detail = client.get(f"/v1/claims/{claim['id']}")
    assert [item["id"] for item in detail.json()["evidence"]] == [first["id"], second["id"], third["id"]]
    # Each evidence item is an event about the claim, so it moves the claim's version (the ETag) on.
    assert detail.json()["version"] == 4
    assert detail.headers["ETag"] == '"4"'
    listed = client.get(f"/v1/claims/{claim['id']}/evidence")
    assert listed.status_code == 200
    assert listed.json() == detail.json()["evidence"]

    events = events_of(client, claim["id"], "evidence.added")
    assert [event["payload"]["evidence_id"] for event in events] == [first["id"], second["id"], third["id"]]
    assert events[0]["payload"]["stance"] == "supports"
    assert events[0]["payload"]["provided_by_source_id"] == parties["outsider"]["id"]
    assert events[0]["actor"]["name"] == "analyst"


def test_evidence_has_no_route_to_change_or_remove_it(api: Api) -> None:
    client = api.as_("admin")
    claim = make_claim(client, make_source(client)["id"])
    item = _evidence_without_provider(client, claim["id"])
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.request(method, f"/v1/claims/{claim['id']}/evidence/{item['id']}", json={"note": "x"})
        assert response.status_code in (404, 405), (method, response.status_code)
    assert client.get(f"/v1/claims/{claim['id']}/evidence").json() == [item]


def test_database_refuses_to_update_or_delete_evidence(api: Api, database: Database) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    item = _evidence_without_provider(client, claim["id"], note="original note")
    evidence_id = uuid.UUID(item["id"])
    for statement in (
        update(Evidence).where(Evidence.id == evidence_id).values(note="rewritten"),
        delete(Evidence).where(Evidence.id == evidence_id),
    ):
        with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
            session.execute(statement)
    assert client.get(f"/v1/claims/{claim['id']}/evidence").json()[0]["note"] == "original note"


def test_evidence_that_names_nothing_is_refused(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    empty = client.post(f"/v1/claims/{claim['id']}/evidence", json={"stance": "supports", "kind": "other"})
    _assert_problem(empty, 422)
    unknown_provider = client.post(
        f"/v1/claims/{claim['id']}/evidence",
        json={"stance": "supports", "kind": "other", "note": "n", "provided_by_source_id": str(uuid.uuid4())},
    )
    _assert_problem(unknown_provider, 422)
    unknown_claim = client.post(f"/v1/claims/{uuid.uuid4()}/evidence", json={"stance": "supports", "kind": "other"})
    _assert_problem(unknown_claim, 404)
    viewer = api.as_("viewer").post(
        f"/v1/claims/{claim['id']}/evidence", json={"stance": "supports", "kind": "other", "note": "n"}
    )
    _assert_problem(viewer, 403)
    assert events_of(api.as_("viewer"), claim["id"], "evidence.added") == []


# ---- 2. independence -----------------------------------------------------------------------------------------


def test_ministry_cannot_confirm_itself_through_its_spokesman(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"])
    analyst = api.as_("analyst")
    add_evidence(analyst, claim, parties["spokesman"]["id"], "supports")
    add_evidence(analyst, claim, parties["deputy"]["id"], "supports")
    add_evidence(analyst, claim, parties["ministry"]["id"], "supports")
    _evidence_without_provider(analyst, claim["id"], note="no provider named")
    add_evidence(analyst, claim, parties["outsider"]["id"], "contradicts")

    refused = move(api.as_("reviewer"), claim, "confirmed")
    problem = _assert_problem(refused, 409)
    assert problem["rule"] == "independent_evidence"
    assert problem["required_stance"] == "supports"
    assert "Ministry of Defence of Ukraine" in problem["detail"]
    assert _status_of(api, claim["id"]) == "under_review"
    assert len(events_of(api.as_("viewer"), claim["id"], "claim.status_changed")) == 1

    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "supports")
    confirmed = move(api.as_("reviewer"), claim, "confirmed")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["credibility"] == 1


def test_spokesman_claim_is_not_corroborated_by_his_own_ministry(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["spokesman"]["id"])
    add_evidence(api.as_("analyst"), claim, parties["ministry"]["id"], "supports")
    problem = _assert_problem(move(api.as_("reviewer"), claim, "corroborated"), 409)
    assert problem["rule"] == "independent_evidence"
    assert _status_of(api, claim["id"]) == "under_review"

    # The outside analyst's party is the think tank, not the ministry: independent.
    item = add_evidence(api.as_("analyst"), claim, parties["outside_analyst"]["id"], "supports")
    assert item["independent"] is True
    corroborated = move(api.as_("reviewer"), claim, "corroborated")
    assert corroborated.status_code == 200, corroborated.text
    assert corroborated.json()["status"] == "corroborated"


def test_refuting_needs_independent_contradicting_evidence(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"])
    analyst = api.as_("analyst")
    add_evidence(analyst, claim, parties["deputy"]["id"], "contradicts")
    add_evidence(analyst, claim, parties["outsider"]["id"], "supports")
    problem = _assert_problem(move(api.as_("reviewer"), claim, "refuted"), 409)
    assert problem["rule"] == "independent_evidence"
    assert problem["required_stance"] == "contradicts"
    assert _status_of(api, claim["id"]) == "under_review"

    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "contradicts")
    refuted = move(api.as_("reviewer"), claim, "refuted")
    assert refuted.status_code == 200, refuted.text
    assert refuted.json()["status"] == "refuted"


def test_corroborating_needs_supporting_not_contradicting_evidence(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"])
    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "contradicts")
    problem = _assert_problem(move(api.as_("reviewer"), claim, "corroborated"), 409)
    assert problem["required_stance"] == "supports"


def test_judgements_without_an_evidence_rule_need_no_evidence(api: Api) -> None:
    source = make_source(api.as_("analyst"))
    for status in ("disputed", "unverifiable"):
        claim = _claim_under_review(api, source["id"])
        moved = move(api.as_("reviewer"), claim, status)
        assert moved.status_code == 200, moved.text


def test_named_evidence_ids_must_belong_to_the_claim(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"])
    other = make_claim(api.as_("analyst"), parties["ministry"]["id"])
    foreign = add_evidence(api.as_("analyst"), other, parties["outsider"]["id"], "supports")
    own = add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "supports")
    reviewer = api.as_("reviewer")
    for target in ("corroborated", "disputed"):
        for named in ([foreign["id"]], [own["id"], foreign["id"]], [str(uuid.uuid4())]):
            problem = _assert_problem(move(reviewer, claim, target, evidence_ids=named), 422)
            assert "evidence_ids" in problem["detail"]
            assert named[-1] in problem["detail"]
    assert _status_of(api, claim["id"]) == "under_review"


def test_named_evidence_ids_alone_decide_the_independence_rule(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"])
    analyst = api.as_("analyst")
    independent = add_evidence(analyst, claim, parties["outsider"]["id"], "supports")
    own_party = add_evidence(analyst, claim, parties["spokesman"]["id"], "supports")

    # The claim holds independent support, but the request names only its own party's item.
    problem = _assert_problem(move(api.as_("reviewer"), claim, "corroborated", evidence_ids=[own_party["id"]]), 409)
    assert problem["rule"] == "independent_evidence"
    assert "named evidence_ids" in problem["detail"]
    assert _status_of(api, claim["id"]) == "under_review"

    moved = move(api.as_("reviewer"), claim, "corroborated", evidence_ids=[independent["id"]])
    assert moved.status_code == 200, moved.text
    event = events_of(api.as_("viewer"), claim["id"], "claim.status_changed")[-1]
    assert event["payload"]["evidence_ids"] == [independent["id"]]
    assert (event["from_status"], event["to_status"]) == ("under_review", "corroborated")


# ---- 3. four eyes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "stance"), [("confirmed", "supports"), ("refuted", "contradicts")])
def test_reviewer_cannot_confirm_or_refute_own_claim(api: Api, target: str, stance: str) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"], creator="reviewer")
    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], stance)

    refused = move(api.as_("reviewer"), claim, target)
    problem = _assert_problem(refused, 403)
    assert problem["rule"] == "four_eyes"
    assert "Four eyes" in problem["detail"]
    assert "recorded this claim" in problem["detail"]
    assert _status_of(api, claim["id"]) == "under_review"
    assert len(events_of(api.as_("viewer"), claim["id"], "claim.status_changed")) == 1

    second = move(api.as_("reviewer2"), claim, target)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == target
    assert events_of(api.as_("viewer"), claim["id"], "claim.status_changed")[-1]["actor"]["name"] == "reviewer2"


def test_four_eyes_binds_admins_too(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"], creator="admin")
    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "supports")
    assert _assert_problem(move(api.as_("admin"), claim, "confirmed"), 403)["rule"] == "four_eyes"


def test_creator_may_still_make_judgements_other_than_confirm_and_refute(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    claim = _claim_under_review(api, parties["ministry"]["id"], creator="reviewer")
    add_evidence(api.as_("analyst"), claim, parties["outsider"]["id"], "supports")
    corroborated = move(api.as_("reviewer"), claim, "corroborated")
    assert corroborated.status_code == 200, corroborated.text


# ---- 5. amendments -------------------------------------------------------------------------------------------


def test_amendment_corrects_the_record_and_the_ledger_keeps_before_and_after(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="Kharkiv Regional Military Administration", kind="official")
    claim = make_claim(
        client,
        source["id"],
        statement="Izium remains the hottest spot.",
        quote="Izium remains the hottest spot",
        channel="telegram",
        channel_detail="Telegram channel",
        stated_at="2022-05-14T09:00:00+00:00",
        places=["Izium"],
        tags=["kharkiv"],
    )
    corrections = {
        "statement": "Izium remains the hottest spot on the Kharkiv front.",
        "quote": "Izium remains the hottest spot; the enemy retreats in some directions",
        "channel_detail": "Oleh Synehubov's Telegram channel",
        "stated_at": "2022-05-14T07:30:00+00:00",
        "places": ["Izium", "Kharkiv"],
        "tags": ["kharkiv", "offensive"],
        "event_start": "2022-05-13T00:00:00+00:00",
        "event_end": "2022-05-14T00:00:00+00:00",
    }
    amended = amend(client, claim, **corrections)
    assert amended.status_code == 200, amended.text
    assert amended.headers["ETag"] == '"2"'
    body = amended.json()
    assert body["statement"] == corrections["statement"]
    assert body["quote"] == corrections["quote"]
    assert body["channel_detail"] == corrections["channel_detail"]
    assert datetime.fromisoformat(body["stated_at"]) == datetime.fromisoformat(corrections["stated_at"])
    assert datetime.fromisoformat(body["event_start"]) == datetime.fromisoformat(corrections["event_start"])
    assert datetime.fromisoformat(body["event_end"]) == datetime.fromisoformat(corrections["event_end"])
    assert ([place["name"] for place in body["places"]], body["tags"]) == (
        ["Izium", "Kharkiv"],
        ["kharkiv", "offensive"],
    )
    assert (body["status"], body["version"]) == ("claimed", 2)

    events = events_of(client, claim["id"], "claim.amended")
    assert len(events) == 1
    before, after = events[0]["payload"]["before"], events[0]["payload"]["after"]
    assert set(before) == set(after) == set(corrections)
    assert before["statement"] == "Izium remains the hottest spot."
    assert after["statement"] == corrections["statement"]
    assert place_names(before["places"]) == ["Izium"]
    assert place_names(after["places"]) == ["Izium", "Kharkiv"]
    assert before["tags"] == ["kharkiv"]
    assert before["event_start"] is None
    assert datetime.fromisoformat(before["stated_at"]) == datetime.fromisoformat("2022-05-14T09:00:00+00:00")
    assert datetime.fromisoformat(after["stated_at"]) == datetime.fromisoformat(corrections["stated_at"])
    assert events[0]["actor"]["name"] == "analyst"
    # The words as first recorded stay in the ledger's creation event.
    created = events_of(client, claim["id"], "claim.created")[0]
    assert created["payload"]["claim"]["statement"] == "Izium remains the hottest spot."


@pytest.mark.parametrize("field", ["source_id", "status"])
def test_amendment_cannot_change_source_or_status(api: Api, field: str) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"])
    value = make_source(client)["id"] if field == "source_id" else "confirmed"
    refused = amend(client, claim, **{field: value})
    _assert_problem(refused, 422)
    with_other_fields = amend(client, claim, statement="A corrected statement.", **{field: value})
    _assert_problem(with_other_fields, 422)
    after = client.get(f"/v1/claims/{claim['id']}").json()
    assert (after["source"]["id"], after["status"], after["version"]) == (source["id"], "claimed", 1)
    assert after["statement"] == claim["statement"]
    assert events_of(client, claim["id"], "claim.amended") == []


def test_amendment_that_changes_nothing_writes_no_event(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"], places=["Izium"])
    same = amend(client, claim, statement=claim["statement"], places=["Izium"])
    assert same.status_code == 200, same.text
    assert same.json()["version"] == 1
    assert events_of(client, claim["id"], "claim.amended") == []


# ---- 6. time travel ------------------------------------------------------------------------------------------


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_as_of_rebuilds_wording_and_status_from_the_ledger(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    analyst = api.as_("analyst")
    claim = make_claim(analyst, parties["ministry"]["id"], statement="First wording.")
    expected = [("claimed", "First wording.", 0)]
    assert move(analyst, claim, "under_review").status_code == 200
    expected.append(("under_review", "First wording.", 0))
    assert amend(analyst, claim, statement="Second wording.").status_code == 200
    expected.append(("under_review", "Second wording.", 0))
    add_evidence(analyst, claim, parties["outsider"]["id"], "supports")
    expected.append(("under_review", "Second wording.", 1))
    for status in ("corroborated", "confirmed", "disputed"):
        assert move(api.as_("reviewer"), claim, status).status_code == 200
        expected.append((status, "Second wording.", 1))

    viewer = api.as_("viewer")
    history = history_of(viewer, claim["id"])
    assert [event["type"] for event in history] == [
        "claim.created",
        "claim.status_changed",
        "claim.amended",
        "evidence.added",
        "claim.status_changed",
        "claim.status_changed",
        "claim.status_changed",
    ]
    times = [_moment(event["at"]) for event in history]
    assert times == sorted(times)

    for index, (event, (status, statement, evidence_count)) in enumerate(zip(history, expected, strict=True)):
        if index + 1 < len(times) and times[index + 1] == times[index]:
            continue  # two events in the same microsecond: no moment separates them
        response = viewer.get(f"/v1/claims/{claim['id']}", params={"as_of": event["at"]})
        assert response.status_code == 200, response.text
        past = response.json()
        assert (past["status"], past["statement"], len(past["evidence"])) == (status, statement, evidence_count)
        assert past["version"] == index + 1
        assert response.headers["ETag"] == f'"{index + 1}"'
        if index + 1 < len(times) and times[index + 1] - times[index] >= timedelta(microseconds=2):
            between = times[index] + (times[index + 1] - times[index]) / 2
            halfway = viewer.get(f"/v1/claims/{claim['id']}", params={"as_of": between.isoformat()}).json()
            assert (halfway["status"], halfway["statement"]) == (status, statement)

    now = viewer.get(f"/v1/claims/{claim['id']}").json()
    assert (now["status"], now["statement"]) == ("disputed", "Second wording.")

    before_creation = times[0] - timedelta(milliseconds=1)
    _assert_problem(viewer.get(f"/v1/claims/{claim['id']}", params={"as_of": before_creation.isoformat()}), 404)


def test_as_of_a_bare_date_means_the_end_of_that_day(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    assert move(client, claim, "under_review").status_code == 200
    history = history_of(client, claim["id"])
    last_day = _moment(history[-1]["at"]).date()
    that_day = client.get(f"/v1/claims/{claim['id']}", params={"as_of": last_day.isoformat()})
    assert that_day.status_code == 200, that_day.text
    assert that_day.json()["status"] == "under_review"
    day_before = _moment(history[0]["at"]).date() - timedelta(days=1)
    _assert_problem(client.get(f"/v1/claims/{claim['id']}", params={"as_of": day_before.isoformat()}), 404)
    _assert_problem(client.get(f"/v1/claims/{claim['id']}", params={"as_of": "last tuesday"}), 422)


def test_list_filters_by_the_status_held_at_as_of(api: Api) -> None:
    parties = _parties(api.as_("analyst"))
    analyst = api.as_("analyst")
    moved = make_claim(analyst, parties["ministry"]["id"])
    assert move(analyst, moved, "under_review").status_code == 200
    add_evidence(analyst, moved, parties["outsider"]["id"], "supports")
    for status in ("corroborated", "confirmed", "disputed"):
        assert move(api.as_("reviewer"), moved, status).status_code == 200
    history = history_of(analyst, moved["id"])
    at = {event["to_status"]: event["at"] for event in history if event["to_status"]}
    # Recorded later and under review now: it must not appear in lists of the past.
    later = make_claim(analyst, parties["outsider"]["id"])
    assert move(analyst, later, "under_review").status_code == 200

    def listed(status: str, as_of: str | None = None) -> list[tuple[str, str]]:
        params = {"status": status, **({"as_of": as_of} if as_of else {})}
        response = api.as_("viewer").get("/v1/claims", params=params)
        assert response.status_code == 200, response.text
        return [(item["id"], item["status"]) for item in response.json()["items"]]

    assert listed("under_review", at["under_review"]) == [(moved["id"], "under_review")]
    assert listed("claimed", at["claimed"]) == [(moved["id"], "claimed")]
    assert listed("confirmed", at["under_review"]) == []
    assert listed("corroborated", at["corroborated"]) == [(moved["id"], "corroborated")]
    assert listed("confirmed", at["confirmed"]) == [(moved["id"], "confirmed")]
    assert listed("disputed", at["confirmed"]) == []
    assert listed("confirmed") == []
    assert listed("disputed") == [(moved["id"], "disputed")]
    assert listed("under_review") == [(later["id"], "under_review")]
    # Without a status filter, as_of still leaves out claims recorded later and shows each as it stood then.
    past = api.as_("viewer").get("/v1/claims", params={"as_of": at["corroborated"]}).json()["items"]
    assert [(item["id"], item["status"]) for item in past] == [(moved["id"], "corroborated")]


# ---- 7. idempotency ------------------------------------------------------------------------------------------


def _claim_body(
    source_id: str, statement: str = "Kyiv negotiates evacuating 60 people from Azovstal."
) -> dict[str, Any]:
    return {
        "statement": statement,
        "source_id": source_id,
        "channel": "interview",
        "channel_detail": "told broadcaster Suspilne",
        "stated_at": "2022-05-14T10:00:00+00:00",
    }


def test_repeated_post_with_same_idempotency_key_returns_the_first_claim(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="Government of Ukraine", kind="government")
    body = _claim_body(source["id"])
    first = client.post("/v1/claims", json=body, headers={"Idempotency-Key": "evacuation-1"})
    assert first.status_code == 201, first.text
    again = client.post("/v1/claims", json=body, headers={"Idempotency-Key": "evacuation-1"})
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    claims = client.get("/v1/claims").json()["items"]
    assert [item["id"] for item in claims] == [first.json()["id"]]
    assert len(client.get("/v1/audit", params={"type": "claim.created"}).json()["items"]) == 1


def test_same_idempotency_key_with_another_body_is_422(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    first = client.post("/v1/claims", json=_claim_body(source["id"]), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    changed = client.post(
        "/v1/claims", json=_claim_body(source["id"], "Another statement."), headers={"Idempotency-Key": "k-1"}
    )
    problem = _assert_problem(changed, 422)
    assert "Idempotency-Key" in problem["detail"]
    assert len(client.get("/v1/claims").json()["items"]) == 1


def test_idempotency_keys_are_per_actor(api: Api) -> None:
    source = make_source(api.as_("analyst"))
    body = _claim_body(source["id"])
    mine = api.as_("analyst").post("/v1/claims", json=body, headers={"Idempotency-Key": "shared-key"})
    theirs = api.as_("analyst2").post("/v1/claims", json=body, headers={"Idempotency-Key": "shared-key"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs.json()["created_by"]["name"] == "analyst2"
    replay = api.as_("analyst").post("/v1/claims", json=body, headers={"Idempotency-Key": "shared-key"})
    assert replay.json()["id"] == mine.json()["id"]
    assert len(api.as_("viewer").get("/v1/audit", params={"type": "claim.created"}).json()["items"]) == 2


def test_posts_without_idempotency_key_each_create_a_claim(api: Api) -> None:
    client = api.as_("analyst")
    body = _claim_body(make_source(client)["id"])
    ids = {client.post("/v1/claims", json=body).json()["id"] for _ in range(2)}
    assert len(ids) == 2


# ---- 8. links ------------------------------------------------------------------------------------------------


def _link(client: httpx.Client, from_claim: str, to_claim: str, kind: str = "corroborates") -> httpx.Response:
    return client.post(f"/v1/claims/{from_claim}/links", json={"kind": kind, "to_claim": to_claim})


def test_link_is_ledgered_and_shown_on_both_claims(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    first = make_claim(client, source["id"])
    second = make_claim(client, make_source(client)["id"])
    created = _link(client, first["id"], second["id"])
    assert created.status_code == 201, created.text
    outgoing = created.json()["links"]
    assert [(link["kind"], link["direction"], link["claim_id"]) for link in outgoing] == [
        ("corroborates", "outgoing", second["id"])
    ]
    assert created.json()["version"] == 2
    incoming = client.get(f"/v1/claims/{second['id']}").json()["links"]
    assert [(link["kind"], link["direction"], link["claim_id"]) for link in incoming] == [
        ("corroborates", "incoming", first["id"])
    ]
    assert incoming[0]["id"] == outgoing[0]["id"]

    events = events_of(client, first["id"], "link.added")
    assert len(events) == 1
    assert events[0]["payload"]["kind"] == "corroborates"
    assert events[0]["payload"]["to_claim_id"] == second["id"]
    assert events[0]["payload"]["link_id"] == outgoing[0]["id"]


def test_self_link_and_duplicate_link_are_409(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    first = make_claim(client, source["id"])
    second = make_claim(client, source["id"])
    self_link = _assert_problem(_link(client, first["id"], first["id"]), 409)
    assert "itself" in self_link["detail"]
    assert _link(client, first["id"], second["id"], "duplicates").status_code == 201
    duplicate = _assert_problem(_link(client, first["id"], second["id"], "duplicates"), 409)
    assert "already" in duplicate["detail"]
    # Another kind between the same claims is another link.
    assert _link(client, first["id"], second["id"], "supersedes").status_code == 201
    links = client.get(f"/v1/claims/{first['id']}").json()["links"]
    assert sorted(link["kind"] for link in links) == ["duplicates", "supersedes"]
    assert len(events_of(client, first["id"], "link.added")) == 2


def test_link_to_an_unknown_claim_is_refused(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    _assert_problem(_link(client, claim["id"], str(uuid.uuid4())), 422)
    _assert_problem(_link(client, str(uuid.uuid4()), claim["id"]), 404)
    _assert_problem(_link(api.as_("viewer"), claim["id"], claim["id"]), 403)
