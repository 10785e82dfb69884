"""What the API serves is checked against the ledger: each table tampered with raw SQL, and verify names the row.

Every test runs on SQLite and on PostgreSQL. Tables whose rows the database refuses to change (events and
evidence) are tampered with their guard dropped first, in a database of the test's own (`fresh_database`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError

from api.database import Database
from api.services.auth import create_key, revoke_key
from models.vocabulary import Role
from tests.conftest import Api
from tests.factories import add_evidence, make_claim, make_document, make_source, move

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))


def _world(api: Api) -> dict[str, Any]:
    """A confirmed claim with places, tags, an intermediary, a document, evidence and a link; a revoked key."""
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", kind="military", aliases=["GSAFU"])
    isw = make_source(analyst, name="ISW", kind="think_tank")
    relay = make_source(analyst, name="UPI", kind="media")
    document = make_document(analyst, title="Ukraine appears to have won the Battle of Kharkiv")
    claim = make_claim(
        analyst,
        staff["id"],
        statement="Russian forces are retreating from Kharkiv.",
        places=["Kharkiv", "Izium"],
        tags=["withdrawal"],
        via=[isw["id"]],
        document_id=document["id"],
    )
    other = make_claim(analyst, isw["id"], statement="Russia has decided to withdraw from around Kharkiv.")
    assert move(analyst, claim, "under_review").status_code == 200
    evidence = add_evidence(analyst, claim, isw["id"])
    link = analyst.post(f"/v1/claims/{claim['id']}/links", json={"kind": "corroborates", "to_claim": other["id"]})
    assert link.status_code == 201, link.text
    assert move(api.as_("reviewer"), claim, "confirmed").status_code == 200
    return {
        "staff": staff,
        "isw": isw,
        "relay": relay,
        "document": document,
        "claim": claim,
        "other": other,
        "evidence": evidence,
        "link_id": link.json()["links"][0]["id"],
    }


def _verify(api: Api) -> dict[str, Any]:
    response = api.as_("viewer").get("/v1/audit/verify")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _tamper(database: Database, *statements: str, **parameters: Any) -> None:
    with database.write_engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), parameters)


def _raw_id(database: Database, value: str) -> str:
    """An id as the table stores it: 32 hex digits on SQLite, the UUID itself on PostgreSQL."""
    return value.replace("-", "") if database.is_sqlite else value


def _named(report: dict[str, Any], table: str, row_id: str, field: str) -> bool:
    return any(
        (item["table"], str(item["id"]), item["field"]) == (table, row_id, field) for item in report["mismatches"]
    )


def test_an_untouched_database_verifies_with_every_table_counted(api: Api) -> None:
    world = _world(api)
    report = _verify(api)
    assert report["ok"] is True, report
    assert report["checked"] == {
        "claims": 2,
        "verdicts": 1,
        "evidence": 1,
        "claim_links": 1,
        "sources": 3,
        "documents": 1,
        "actors": 6,
        "api_keys": 6,
    }
    assert world["claim"]["id"]


# Each case: what to change, with raw SQL against the test's database, and the (table, id, field) verify names.
Case = Callable[[Database, dict[str, Any]], tuple[list[str], dict[str, Any], tuple[str, str, str]]]


def _claim_status(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claims SET status = 'refuted', statement = 'Russian forces took Kharkiv.' WHERE id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("claims", claim_id, "status"),
    )


def _claim_statement(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claims SET statement = 'Russian forces took Kharkiv.' WHERE id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("claims", claim_id, "statement"),
    )


def _claim_version(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claims SET version = 2 WHERE id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("claims", claim_id, "version"),
    )


def _claim_status_changed_at(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claims SET status_changed_at = created_at WHERE id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("claims", claim_id, "status_changed_at"),
    )


def _place_renamed(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claim_places SET name = 'Kyiv', name_key = 'kyiv' WHERE claim_id = :id AND position = 0"],
        {"id": _raw_id(database, claim_id)},
        ("claim_places", claim_id, "places"),
    )


def _place_added(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["other"]["id"]
    return (
        ["INSERT INTO claim_places (claim_id, position, name, name_key) VALUES (:id, 0, 'Kyiv', 'kyiv')"],
        {"id": _raw_id(database, claim_id)},
        ("claim_places", claim_id, "places"),
    )


def _tag_removed(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["DELETE FROM claim_tags WHERE claim_id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("claim_tags", claim_id, "tags"),
    )


def _via_rewired(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE claim_via SET source_id = :relay WHERE claim_id = :id"],
        {"id": _raw_id(database, claim_id), "relay": _raw_id(database, world["relay"]["id"])},
        ("claim_via", claim_id, "via"),
    )


def _link_kind(database: Database, world: dict[str, Any]) -> Any:
    return (
        ["UPDATE claim_links SET kind = 'contradicts' WHERE id = :id"],
        {"id": _raw_id(database, world["link_id"])},
        ("claim_links", world["link_id"], "kind"),
    )


def _verdict_removed(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["DELETE FROM verdict_evidence WHERE claim_id = :id", "DELETE FROM verdicts WHERE claim_id = :id"],
        {"id": _raw_id(database, claim_id)},
        ("verdicts", claim_id, "(row)"),
    )


def _verdict_digest(database: Database, world: dict[str, Any]) -> Any:
    claim_id = world["claim"]["id"]
    return (
        ["UPDATE verdicts SET assertion_sha256 = :digest WHERE claim_id = :id"],
        {"id": _raw_id(database, claim_id), "digest": "0" * 64},
        ("verdicts", claim_id, "assertion_sha256"),
    )


def _source_parent(database: Database, world: dict[str, Any]) -> Any:
    return (
        ["UPDATE sources SET parent_id = :staff WHERE id = :id"],
        {"id": _raw_id(database, world["isw"]["id"]), "staff": _raw_id(database, world["staff"]["id"])},
        ("sources", world["isw"]["id"], "parent_id"),
    )


def _source_reliability(database: Database, world: dict[str, Any]) -> Any:
    return (
        ["UPDATE sources SET reliability = 'A' WHERE id = :id"],
        {"id": _raw_id(database, world["staff"]["id"])},
        ("sources", world["staff"]["id"], "reliability"),
    )


def _source_alias(database: Database, world: dict[str, Any]) -> Any:
    return (
        [
            "INSERT INTO source_names (source_id, position, name, name_key, is_alias) "
            "VALUES (:id, 5, 'Kremlin', 'kremlin', :alias)"
        ],
        {"id": _raw_id(database, world["isw"]["id"]), "alias": True},
        ("sources", world["isw"]["id"], "aliases"),
    )


def _document_title(database: Database, world: dict[str, Any]) -> Any:
    return (
        ["UPDATE documents SET title = 'Russia wins' WHERE id = :id"],
        {"id": _raw_id(database, world["document"]["id"])},
        ("documents", world["document"]["id"], "title"),
    )


def _actor_promoted(database: Database, world: dict[str, Any]) -> Any:
    return (
        ["UPDATE actors SET role = 'admin' WHERE name = 'viewer'"],
        {},
        ("actors", None, "role"),
    )


CASES: dict[str, Case] = {
    "claim status and statement": _claim_status,
    "claim statement": _claim_statement,
    "claim version": _claim_version,
    "claim status_changed_at": _claim_status_changed_at,
    "place renamed": _place_renamed,
    "place added": _place_added,
    "tag removed": _tag_removed,
    "intermediary rewired": _via_rewired,
    "link kind": _link_kind,
    "verdict removed": _verdict_removed,
    "verdict digest": _verdict_digest,
    "source parent": _source_parent,
    "source reliability": _source_reliability,
    "source alias added": _source_alias,
    "document title": _document_title,
    "actor promoted": _actor_promoted,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_verify_names_each_tampered_row(api: Api, database: Database, case: str) -> None:
    world = _world(api)
    assert _verify(api)["ok"] is True
    statements, parameters, (table, row_id, field) = CASES[case](database, world)
    _tamper(database, *statements, **parameters)
    report = _verify(api)
    assert report["ok"] is False
    assert report["first_broken_seq"] is None  # the chain is whole: only the projection was changed
    matching = [item for item in report["mismatches"] if (item["table"], item["field"]) == (table, field)]
    assert matching, report["mismatches"]
    if row_id is not None:
        assert any(str(item["id"]) == row_id for item in matching), matching


def test_verify_reports_what_is_stored_and_what_the_ledger_says(api: Api, database: Database) -> None:
    world = _world(api)
    statements, parameters, _expected = _claim_status(database, world)
    _tamper(database, *statements, **parameters)
    report = _verify(api)
    by_field = {item["field"]: item for item in report["mismatches"] if item["table"] == "claims"}
    assert by_field["status"]["stored"] == "refuted"
    assert by_field["status"]["ledger"] == "confirmed"
    assert by_field["statement"]["ledger"] == "Russian forces are retreating from Kharkiv."
    assert report["mismatches_found"] >= 2


def test_a_revoked_key_brought_back_by_sql_is_named(api: Api, database: Database) -> None:
    with database.transaction() as session:
        _actor, key, _secret = create_key(session, "night-desk", Role.ANALYST)
        prefix = key.prefix
    with database.transaction() as session:
        revoke_key(session, prefix)
    intact = _verify(api)
    assert intact["ok"] is True, intact
    _tamper(database, "UPDATE api_keys SET revoked_at = NULL WHERE prefix = :prefix", prefix=prefix)
    report = _verify(api)
    assert _named(report, "api_keys", prefix, "revoked_at"), report


def test_a_key_inserted_behind_the_ledger_is_named(api: Api, database: Database) -> None:
    with database.read_engine.connect() as connection:
        actor_id = connection.execute(text("SELECT id FROM actors WHERE name = 'viewer'")).scalar_one()
    _tamper(
        database,
        "INSERT INTO api_keys (id, actor_id, prefix, secret_hash, created_at) "
        "VALUES (:id, :actor, 'backdoor', :hash, :at)",
        id=_raw_id(database, "9c9d7c4e-4f6b-4c8e-9f61-1a2b3c4d5e6f"),
        actor=actor_id,
        hash="0" * 64,
        at="2026-01-01 00:00:00.000000",
    )
    report = _verify(api)
    assert _named(report, "api_keys", "backdoor", "(row)"), report


def test_a_document_inserted_behind_the_ledger_is_named(api: Api, database: Database) -> None:
    _world(api)
    document_id = "5d1c0a3e-8d2b-4f7a-9c6e-0b1a2c3d4e5f"
    _tamper(
        database,
        "INSERT INTO documents (id, title, created_at) VALUES (:id, 'Planted', '2026-01-01 00:00:00.000000')",
        id=_raw_id(database, document_id),
    )
    assert _named(_verify(api), "documents", document_id, "(row)")


# ---- the append-only tables: their guards, and what verify says once a guard is gone ---------------------------


def _drop_guards(connection: Connection, database: Database, table: str) -> None:
    if database.is_sqlite:
        for action in ("update", "delete", "replace"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_{action}"))
    else:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}"))


@pytest.mark.fresh_database
def test_deleted_evidence_is_named_once_its_guard_is_dropped(api: Api, database: Database) -> None:
    world = _world(api)
    with database.write_engine.begin() as connection:
        _drop_guards(connection, database, "evidence")
        connection.execute(text("DELETE FROM verdict_evidence"))
        connection.execute(text("DELETE FROM evidence"))
    report = _verify(api)
    assert _named(report, "evidence", world["evidence"]["id"], "(row)"), report
    assert _named(report, "verdict_evidence", world["claim"]["id"], "evidence_id"), report


@pytest.mark.fresh_database
def test_changed_evidence_is_named_once_its_guard_is_dropped(api: Api, database: Database) -> None:
    world = _world(api)
    with database.write_engine.begin() as connection:
        _drop_guards(connection, database, "evidence")
        connection.execute(text("UPDATE evidence SET stance = 'contradicts'"))
    assert _named(_verify(api), "evidence", world["evidence"]["id"], "stance")


@pytest.mark.fresh_database
def test_a_rewritten_status_event_breaks_the_chain_and_the_claim_is_still_compared(
    api: Api, database: Database
) -> None:
    world = _world(api)
    with database.write_engine.begin() as connection:
        _drop_guards(connection, database, "events")
        connection.execute(
            text(
                "UPDATE events SET to_status = 'refuted' "
                "WHERE type = 'claim.status_changed' AND to_status = 'confirmed'"
            )
        )
    report = _verify(api)
    assert report["first_broken_seq"] is not None
    assert "hash" in report["reason"]
    assert _named(report, "claims", world["claim"]["id"], "status"), report


SQLITE_REPLACES = [
    "INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 1",
    "REPLACE INTO events SELECT * FROM events WHERE seq = 1",
    "INSERT OR REPLACE INTO evidence SELECT * FROM evidence",
    "REPLACE INTO evidence SELECT * FROM evidence",
    "INSERT INTO events SELECT * FROM events WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET rationale = 'rewritten'",
    "INSERT INTO evidence SELECT * FROM evidence WHERE true ON CONFLICT (id) DO UPDATE SET stance = 'contradicts'",
]


@pytest.mark.parametrize("engine_name", ["sqlite"])
@pytest.mark.parametrize("statement", SQLITE_REPLACES)
def test_sqlite_refuses_replace_over_an_append_only_row(api: Api, database: Database, statement: str) -> None:
    """SQLite's REPLACE conflict resolution (PostgreSQL has none; its upsert meets the test below)."""
    _world(api)
    # recursive_triggers is off (SQLite's default): REPLACE's own deletion would fire no DELETE trigger.
    with pytest.raises(DatabaseError, match="append-only"), database.write_engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert _verify(api)["ok"] is True


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO events SELECT * FROM events WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET rationale = 'rewritten'",
        "INSERT INTO evidence SELECT * FROM evidence WHERE true ON CONFLICT (id) DO UPDATE SET stance = 'contradicts'",
    ],
)
def test_upsert_over_an_append_only_row_meets_the_update_guard(api: Api, database: Database, statement: str) -> None:
    _world(api)
    with pytest.raises(DatabaseError, match="append-only"), database.write_engine.begin() as connection:
        connection.exec_driver_sql(statement)
    assert _verify(api)["ok"] is True


@pytest.mark.slow
def test_claimdb_verify_prints_each_mismatch_and_exits_1(api: Api, database: Database, database_url: str) -> None:
    world = _world(api)
    statements, parameters, _expected = _claim_status(database, world)
    env = {**os.environ, "DATABASE_URL": database_url}
    intact = subprocess.run([CLAIMDB, "verify"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert intact.returncode == 0, intact.stderr
    assert "every table matches the ledger" in intact.stdout
    _tamper(database, *statements, **parameters)
    broken = subprocess.run([CLAIMDB, "verify"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert broken.returncode == 1
    assert f"claims {world['claim']['id']} status: stored 'refuted', ledger 'confirmed'" in broken.stderr


def test_driver_reads_equal_sqlalchemys_own(api: Api, database: Database) -> None:
    """The fast path (api/services/driver_reads.py) gives the same ids and times as the plain ORM reads."""
    from datetime import UTC

    from sqlalchemy import select

    from api.services.driver_reads import DriverReader
    from models import Claim, Event

    _world(api)
    with database.transaction(write=False) as session:
        reader = DriverReader(session)
        plain = session.execute(select(Claim.id, Claim.stated_at, Claim.created_at).order_by(Claim.id)).all()
        fast = reader.rows(select(reader.id_column(Claim.id), Claim.stated_at, Claim.created_at).order_by(Claim.id))
        assert len(plain) == len(fast) == 2
        for (claim_id, stated_at, created_at), (key, raw_stated, raw_created) in zip(plain, fast, strict=True):
            assert key == reader.key(claim_id) == reader.key(str(claim_id))
            assert reader.hyphenated(key) == str(claim_id)
            assert reader.shown(key) == str(claim_id)
            assert reader.time(raw_stated) == stated_at
            assert reader.time(raw_created) == created_at
            assert reader.iso_utc(raw_created) == created_at.astimezone(UTC).isoformat(timespec="microseconds")
        events = session.execute(select(Event.actor_id).where(Event.actor_id.is_not(None))).scalars().all()
        raw = [
            row[0] for row in reader.rows(select(reader.id_column(Event.actor_id)).where(Event.actor_id.is_not(None)))
        ]
        assert [reader.hyphenated(key) for key in raw] == [str(actor_id) for actor_id in events]
