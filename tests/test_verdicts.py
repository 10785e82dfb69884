"""Confirmed means these words, on this evidence: verdicts bound to what they judged (issue 13, DESIGN §3).

Every test runs on SQLite and on PostgreSQL (the `api` fixture is parametrised over both engines).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from api.database import Database
from tests.conftest import Api
from tests.factories import add_evidence, amend, make_claim, make_document, make_source, move
from tests.test_web import desk

ASSERTION_FIELDS = (
    "statement", "quote", "source_id", "speaker_id", "via", "channel", "channel_detail", "stated_at",
    "stated_at_precision", "event_start", "event_end", "event_precision", "places",
)  # fmt: skip


def _time(value: str | None) -> str | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).isoformat(timespec="microseconds")


def documented_digest(claim: dict[str, Any]) -> str:
    """The assertion's digest by the rule the README documents, computed here independently of the service."""
    document = {
        "statement": claim["statement"],
        "quote": claim["quote"],
        "source_id": claim["source"]["id"],
        "speaker_id": claim["speaker"]["id"] if claim["speaker"] else None,
        "via": [ref["id"] for ref in claim["via"]],
        "channel": claim["channel"],
        "channel_detail": claim["channel_detail"],
        "stated_at": _time(claim["stated_at"]),
        "stated_at_precision": claim["stated_at_precision"],
        "event_start": _time(claim["event_start"]),
        "event_end": _time(claim["event_end"]),
        "places": [place if isinstance(place, str) else place["name"] for place in claim["places"]],
    }
    # The event window's precision counts once set; left out while unset (claims recorded before it existed).
    if claim.get("event_precision") is not None:
        document["event_precision"] = claim["event_precision"]
    assert set(document) | {"event_precision"} == set(ASSERTION_FIELDS)
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _history(client: httpx.Client, claim_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/claims/{claim_id}/history")
    assert response.status_code == 200, response.text
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


def _world(api: Api) -> dict[str, Any]:
    """The General Staff (a party with its spokesman), ISW (another party), and a claim confirmed on ISW's evidence."""
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", kind="military", affiliation="UA")
    spokesman = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"])
    isw = make_source(analyst, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    relay = make_source(analyst, name="Suspilne", kind="media")
    claim = make_claim(
        analyst,
        staff["id"],
        statement="Russian forces are retreating from Kharkiv.",
        quote="The enemy is withdrawing.",
        speaker_id=spokesman["id"],
        channel="update",
        channel_detail="in its morning update",
        places=["Kharkiv"],
        tags=["withdrawal"],
    )
    assert move(analyst, claim, "under_review").status_code == 200
    evidence = add_evidence(analyst, claim, isw["id"])
    return {"staff": staff, "spokesman": spokesman, "isw": isw, "relay": relay, "claim": claim, "evidence": evidence}


def _confirmed(api: Api) -> dict[str, Any]:
    world = _world(api)
    response = move(api.as_("reviewer2"), world["claim"], "confirmed")
    assert response.status_code == 200, response.text
    world["confirmed"] = response.json()
    return world


def _get(api: Api, claim_id: str) -> dict[str, Any]:
    response = api.as_("viewer").get(f"/v1/claims/{claim_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


# ---- a verdict binds to the words it judged ------------------------------------------------------------------


AMENDMENTS: dict[str, Any] = {
    "statement": "Russian forces have left Kharkiv.",
    "quote": "The enemy has gone.",
    "channel": "briefing",
    "channel_detail": "at the noon briefing",
    "stated_at": "2022-05-15T09:00:00+00:00",
    "stated_at_precision": "hour",
    "event_start": "2022-05-13T00:00:00+00:00",
    "event_end": "2022-05-14T00:00:00+00:00",
    "places": ["Kharkiv", "Ternova"],
}


@pytest.mark.parametrize("field", [*AMENDMENTS, "speaker_id", "via"])
def test_amending_any_assertion_field_of_a_confirmed_claim_reopens_it(api: Api, field: str) -> None:
    world = _confirmed(api)
    claim = world["confirmed"]
    value = {"speaker_id": None, "via": [world["relay"]["id"]]}.get(field, AMENDMENTS.get(field))
    response = amend(api.as_("analyst2"), claim, **{field: value})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "under_review"
    assert body["version"] == claim["version"] + 2
    assert response.headers["ETag"] == f'"{claim["version"] + 2}"'
    assert body["verdict"] is None
    last_two = _history(api.as_("viewer"), claim["id"])[-2:]
    assert [event["type"] for event in last_two] == ["claim.amended", "claim.status_changed"]
    reopened = last_two[1]
    assert (reopened["from_status"], reopened["to_status"]) == ("confirmed", "under_review")
    assert reopened["actor"]["name"] == "analyst2"
    assert field in reopened["rationale"]
    assert reopened["payload"]["reopened_by_amendment"] == [field]
    assert reopened["payload"]["version"] == claim["version"] + 2
    assert api.as_("viewer").get(f"/v1/claims/{claim['id']}/claimreview").status_code == 404


@pytest.mark.parametrize(("field", "value"), [("tags", ["frontline"]), ("language", "uk")])
def test_amending_tags_or_language_reopens_nothing(api: Api, field: str, value: Any) -> None:
    world = _confirmed(api)
    claim = world["confirmed"]
    response = amend(api.as_("analyst2"), claim, **{field: value})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "confirmed"
    assert response.json()["version"] == claim["version"] + 1
    assert response.json()["verdict"]["basis_holds"] is True
    assert _history(api.as_("viewer"), claim["id"])[-1]["type"] == "claim.amended"


def test_amending_the_report_it_was_read_in_reopens_nothing(api: Api) -> None:
    world = _confirmed(api)
    document = make_document(api.as_("analyst"))
    response = amend(api.as_("analyst2"), world["confirmed"], document_id=document["id"])
    assert response.json()["status"] == "confirmed"


def test_a_retracted_claim_reopens_when_its_words_are_amended(api: Api) -> None:
    world = _world(api)
    assert move(api.as_("reviewer"), world["claim"], "retracted").status_code == 200
    response = amend(api.as_("analyst"), world["claim"], statement="Russian forces are regrouping near Kharkiv.")
    assert response.json()["status"] == "under_review"
    event = _history(api.as_("viewer"), world["claim"]["id"])[-1]
    assert (event["from_status"], event["to_status"]) == ("retracted", "under_review")


@pytest.mark.parametrize("status", ["claimed", "under_review"])
def test_a_claim_not_yet_judged_is_amended_without_a_status_move(api: Api, status: str) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    if status == "under_review":
        assert move(client, claim, "under_review").status_code == 200
    response = amend(client, claim, statement="A corrected sentence.")
    assert response.json()["status"] == status
    assert [event["type"] for event in _history(client, claim["id"])][-1] == "claim.amended"


# ---- every verdict records its basis ------------------------------------------------------------------------


def test_a_verdict_records_its_version_digest_and_evidence_as_judged(api: Api) -> None:
    world = _confirmed(api)
    claim = world["confirmed"]
    event = _history(api.as_("viewer"), claim["id"])[-1]
    basis = event["payload"]["basis"]
    judged_version = claim["version"] - 1
    assert basis["version"] == judged_version
    assert basis["assertion_sha256"] == documented_digest(claim)
    assert basis["evidence"] == [
        {
            "id": world["evidence"]["id"],
            "stance": "supports",
            "provider_id": world["isw"]["id"],
            "party_id": world["isw"]["id"],
            "independent": True,
        }
    ]
    verdict = _get(api, claim["id"])["verdict"]
    assert verdict["status"] == "confirmed"
    assert verdict["by"]["name"] == "reviewer2"
    assert verdict["at"] == event["at"]
    assert verdict["version"] == judged_version
    assert verdict["assertion_sha256"] == basis["assertion_sha256"]
    assert verdict["basis_holds"] is True
    assert verdict["evidence"][0]["provider"] == {"id": world["isw"]["id"], "name": "Institute for the Study of War"}
    assert verdict["evidence"][0]["independent"] is verdict["evidence"][0]["independent_now"] is True


def test_the_digest_differs_when_the_words_differ(api: Api) -> None:
    world = _confirmed(api)
    same = dict(world["confirmed"])
    assert documented_digest({**same, "places": ["Kharkiv", "Izium"]}) != documented_digest(same)
    assert _get(api, same["id"])["verdict"]["assertion_sha256"] == documented_digest(same)


def test_a_verdict_of_a_status_without_an_evidence_rule_counts_the_named_items(api: Api) -> None:
    world = _world(api)
    response = move(api.as_("reviewer"), world["claim"], "disputed", evidence_ids=[world["evidence"]["id"]])
    assert response.status_code == 200
    verdict = response.json()["verdict"]
    assert verdict["status"] == "disputed"
    assert [item["id"] for item in verdict["evidence"]] == [world["evidence"]["id"]]
    assert verdict["basis_holds"] is True


def test_moving_out_of_a_reviewed_status_leaves_no_verdict(api: Api) -> None:
    world = _confirmed(api)
    response = move(api.as_("reviewer"), world["confirmed"], "under_review")
    assert response.json()["verdict"] is None
    assert api.as_("viewer").get("/v1/claims", params={"basis_holds": "true"}).json()["items"] == []


def test_an_imported_verdict_is_marked_imported(api: Api) -> None:
    line = {
        "statement": "Izium remains the hottest spot.",
        "source": {"name": "Kharkiv RMA", "kind": "official"},
        "channel": "telegram",
        "stated_at": "2022-05-14",
        "status": "confirmed",
        "external_id": "imported-verdict",
    }
    response = api.as_("admin").post(
        "/v1/import", content=orjson.dumps(line) + b"\n", headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    item = api.as_("viewer").get("/v1/claims", params={"source": "Kharkiv RMA"}).json()["items"][0]
    verdict = _get(api, item["id"])["verdict"]
    assert verdict["imported"] is True
    assert verdict["version"] == 1
    assert verdict["evidence"] == []
    assert verdict["assertion_sha256"] == documented_digest(item)
    assert verdict["basis_holds"] is True


# ---- who may change a party, and what it affects --------------------------------------------------------------


def test_reparenting_an_evidence_provider_into_the_claims_party_names_the_verdict(api: Api) -> None:
    world = _confirmed(api)
    claim = world["confirmed"]
    response = api.as_("admin").patch(f"/v1/sources/{world['isw']['id']}", json={"parent_id": world["staff"]["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["affected_verdicts"] == [claim["id"]]
    assert response.json()["party"]["id"] == world["staff"]["id"]
    after = _get(api, claim["id"])
    assert after["status"] == "confirmed"  # nothing changes a status silently
    assert after["verdict"]["basis_holds"] is False
    assert after["verdict"]["evidence"][0]["independent"] is True
    assert after["verdict"]["evidence"][0]["independent_now"] is False
    viewer = api.as_("viewer")
    failing = viewer.get("/v1/claims", params={"basis_holds": "false"}).json()["items"]
    assert [item["id"] for item in failing] == [claim["id"]]
    assert viewer.get("/v1/claims", params={"basis_holds": "true"}).json()["items"] == []
    event = viewer.get("/v1/audit", params={"type": "source.updated"}).json()["items"][-1]
    assert event["payload"]["before"] == {"parent_id": None}
    assert event["payload"]["after"] == {"parent_id": world["staff"]["id"]}
    assert event["payload"]["affected_verdicts"] == [claim["id"]]
    # Moving it back restores the basis, and names the same verdict again.
    back = api.as_("admin").patch(f"/v1/sources/{world['isw']['id']}", json={"parent_id": None})
    assert back.json()["affected_verdicts"] == [claim["id"]]
    assert _get(api, claim["id"])["verdict"]["basis_holds"] is True


def test_reparenting_the_claims_own_source_away_from_the_provider_is_seen_too(api: Api) -> None:
    world = _confirmed(api)
    # The spokesman's party moves under ISW: a claim voiced by... the General Staff is unaffected, but a claim
    # whose source is the spokesman and whose evidence comes from ISW is.
    analyst = api.as_("analyst")
    claim = make_claim(analyst, world["spokesman"]["id"])
    assert move(analyst, claim, "under_review").status_code == 200
    add_evidence(analyst, claim, world["isw"]["id"])
    assert move(api.as_("reviewer"), claim, "corroborated").status_code == 200
    response = api.as_("admin").patch(f"/v1/sources/{world['spokesman']['id']}", json={"parent_id": world["isw"]["id"]})
    assert response.json()["affected_verdicts"] == [claim["id"]]
    assert _get(api, world["confirmed"]["id"])["verdict"]["basis_holds"] is True
    assert _get(api, claim["id"])["verdict"]["basis_holds"] is False


@pytest.mark.parametrize("who", ["analyst", "reviewer"])
def test_only_an_admin_may_change_a_sources_parent(api: Api, who: str) -> None:
    world = _world(api)
    refused = api.as_(who).patch(f"/v1/sources/{world['isw']['id']}", json={"parent_id": world["staff"]["id"]})
    assert refused.status_code == 403
    assert "parent" in refused.json()["detail"]
    assert _get(api, world["claim"]["id"])["status"] == "under_review"
    # Other fields are still an analyst's to change, and name no verdicts.
    allowed = api.as_(who).patch(f"/v1/sources/{world['isw']['id']}", json={"role": "think tank"})
    assert allowed.status_code == 200
    assert allowed.json()["affected_verdicts"] == []


def test_basis_holds_cannot_be_asked_as_of_a_past_time(api: Api) -> None:
    response = api.as_("viewer").get("/v1/claims", params={"basis_holds": "false", "as_of": "2022-05-14"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["basis_holds"]


# ---- exports publish what was judged -------------------------------------------------------------------------


def test_claimreview_publishes_the_judged_words_even_if_the_row_was_changed(api: Api, database: Database) -> None:
    world = _confirmed(api)
    claim = world["confirmed"]
    with database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE claims SET statement = 'Ukraine lost Kharkiv.' WHERE statement = :statement"),
            {"statement": claim["statement"]},
        )
    review = api.as_("viewer").get(f"/v1/claims/{claim['id']}/claimreview").json()
    assert review["claimReviewed"] == "Russian forces are retreating from Kharkiv."
    exported = api.as_("viewer").get("/v1/export/claims", params={"format": "claimreview"}).json()
    assert [item["claimReviewed"] for item in exported] == ["Russian forces are retreating from Kharkiv."]
    assert _get(api, claim["id"])["verdict"]["basis_holds"] is False


def test_a_reopened_claim_judged_again_publishes_its_new_words(api: Api) -> None:
    world = _confirmed(api)
    reopened = amend(api.as_("analyst2"), world["confirmed"], statement="Russian forces have withdrawn from Kharkiv.")
    assert reopened.json()["status"] == "under_review"
    assert move(api.as_("reviewer2"), world["confirmed"], "confirmed").status_code == 200
    review = api.as_("viewer").get(f"/v1/claims/{world['claim']['id']}/claimreview").json()
    assert review["claimReviewed"] == "Russian forces have withdrawn from Kharkiv."


# ---- the desk says it in words -----------------------------------------------------------------------------


def test_the_claim_page_states_the_verdict_and_warns_when_its_basis_breaks(api: Api) -> None:
    world = _confirmed(api)
    page = desk(api, "viewer")
    claim_id = world["confirmed"]["id"]
    judged = world["confirmed"]["version"] - 1
    shown = page.get(f"/claims/{claim_id}").text
    assert (
        f"Confirmed on version {judged} by reviewer2, on evidence from Institute for the Study of War, independent."
        in shown
    )
    assert "no longer holds" not in shown
    api.as_("admin").patch(f"/v1/sources/{world['isw']['id']}", json={"parent_id": world["staff"]["id"]})
    warned = page.get(f"/claims/{claim_id}").text
    assert "The basis of this verdict no longer holds." in warned
    assert "no longer independent" in warned


# ---- verdicts recorded before they carried their basis ------------------------------------------------------


@pytest.mark.fresh_database
def test_migration_0006_rebuilds_verdicts_from_the_ledger(api: Api, database: Database, database_url: str) -> None:
    from api.migrate import downgrade, upgrade

    world = _confirmed(api)
    untouched = make_claim(api.as_("analyst"), world["isw"]["id"], statement="ISW assesses a withdrawal.")
    assert move(api.as_("analyst"), untouched, "under_review").status_code == 200
    assert move(api.as_("reviewer"), untouched, "disputed").status_code == 200
    before = _get(api, untouched["id"])["verdict"]
    database.dispose()
    downgrade(database_url, "0005")
    # Under 0005 an amendment left a confirmed claim confirmed: the words change behind the verdict.
    with database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE claims SET statement = 'Russian forces have left Kharkiv.' WHERE statement = :old"),
            {"old": world["confirmed"]["statement"]},
        )
    upgrade(database_url, "head")
    database.dispose()
    rebuilt = _get(api, untouched["id"])["verdict"]
    assert {key: rebuilt[key] for key in ("status", "event_seq", "assertion_sha256", "basis_holds")} == {
        key: before[key] for key in ("status", "event_seq", "assertion_sha256", "basis_holds")
    }
    stale = _get(api, world["confirmed"]["id"])
    assert stale["status"] == "confirmed"
    assert stale["verdict"]["assertion_matches"] is False
    assert stale["verdict"]["basis_holds"] is False
    failing = api.as_("viewer").get("/v1/claims", params={"basis_holds": "false"}).json()["items"]
    assert [item["id"] for item in failing] == [world["confirmed"]["id"]]
