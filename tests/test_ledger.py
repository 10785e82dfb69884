"""The ledger: append-only at the database level, hash-chained, verifiable."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from api.database import Database
from tests.conftest import Api
from tests.factories import make_claim, make_source, move


def _some_events(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="General Staff")
    claim = make_claim(client, source["id"])
    assert move(client, claim, "under_review").status_code == 200


@pytest.mark.parametrize("statement", ["UPDATE events SET rationale = 'rewritten'", "DELETE FROM events"])
def test_database_refuses_to_rewrite_the_ledger(api: Api, database: Database, statement: str) -> None:
    _some_events(api)
    with pytest.raises(DatabaseError, match="append-only"), database.write_engine.begin() as connection:
        connection.execute(text(statement))
    with database.read_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM events WHERE rationale = 'rewritten'")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM events")).scalar() > 0


def test_database_refuses_to_delete_evidence(api: Api, database: Database) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"])
    added = client.post(
        f"/v1/claims/{claim['id']}/evidence", json={"stance": "supports", "kind": "other", "note": "seen on imagery"}
    )
    assert added.status_code == 201
    with pytest.raises(DatabaseError, match="append-only"), database.write_engine.begin() as connection:
        connection.execute(text("DELETE FROM evidence"))


def test_every_mutation_is_chained_and_verifies(api: Api) -> None:
    _some_events(api)
    client = api.as_("viewer")
    events = client.get("/v1/audit", params={"limit": 500}).json()["items"]
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "0" * 64
    for previous, current in itertools.pairwise(events):
        assert current["prev_hash"] == previous["hash"]
    types = [event["type"] for event in events]
    assert {"key.created", "source.created", "claim.created", "claim.status_changed"} <= set(types)
    verdict = client.get("/v1/audit/verify").json()
    assert verdict["ok"] is True
    assert verdict["events"] == len(events)
    assert verdict["checked"]["claims"] == 1
    assert verdict["checked"]["sources"] == 1


def _drop_update_guard(database: Database) -> None:
    with database.write_engine.begin() as connection:
        if database.is_sqlite:
            connection.execute(text("DROP TRIGGER events_refuse_update"))
        else:
            connection.execute(text("DROP TRIGGER events_refuse_change ON events"))


@pytest.mark.fresh_database
def test_verify_names_the_first_tampered_row(api: Api, database: Database) -> None:
    _some_events(api)
    client = api.as_("viewer")
    target = client.get("/v1/audit", params={"type": "claim.status_changed"}).json()["items"][0]["seq"]
    _drop_update_guard(database)
    with database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE events SET rationale = 'it was always confirmed' WHERE seq = :seq"), {"seq": target}
        )
    verdict = client.get("/v1/audit/verify").json()
    assert verdict["ok"] is False
    assert verdict["first_broken_seq"] == target
    assert "hash" in verdict["reason"]


@pytest.mark.slow
@pytest.mark.fresh_database
def test_verify_detects_a_relinked_chain(api: Api, database: Database) -> None:
    _some_events(api)
    _drop_update_guard(database)
    with database.write_engine.begin() as connection:
        connection.execute(text("UPDATE events SET prev_hash = :fake WHERE seq = 3"), {"fake": "f" * 64})
    verdict = api.as_("viewer").get("/v1/audit/verify").json()
    assert verdict["ok"] is False
    assert verdict["first_broken_seq"] == 3


def test_change_feed_returns_events_after_a_seq(api: Api) -> None:
    _some_events(api)
    client = api.as_("viewer")
    everything = client.get("/v1/audit", params={"limit": 500}).json()["items"]
    tail = client.get("/v1/audit", params={"since_seq": everything[2]["seq"]}).json()["items"]
    assert [event["seq"] for event in tail] == [event["seq"] for event in everything[3:]]


def test_audit_pages_by_cursor_without_gaps(api: Api) -> None:
    _some_events(api)
    client = api.as_("viewer")
    seen: list[int] = []
    cursor = None
    while True:
        page = client.get("/v1/audit", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [event["seq"] for event in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, len(seen) + 1))
    assert len(seen) > 4


def test_events_name_the_actor_whose_key_made_the_change(api: Api) -> None:
    _some_events(api)
    client = api.as_("viewer")
    created = client.get("/v1/audit", params={"type": "claim.created"}).json()["items"]
    assert created[0]["actor"]["name"] == "analyst"
    by_name = client.get("/v1/audit", params={"actor": "analyst"}).json()["items"]
    assert {event["actor"]["name"] for event in by_name} == {"analyst"}
    unknown = client.get("/v1/audit", params={"actor": "nobody"})
    assert unknown.status_code == 422
