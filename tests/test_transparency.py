"""The ledger as a transparency log, through HTTP: leaves, proofs, signed checkpoints, and what tampering meets.

Checked with the standalone verifier (api/tlog_verify.py), as an outsider would check it.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from api import tlog_verify
from api.app import create_app
from api.database import Database
from api.migrate import downgrade, upgrade
from api.services import merkle, transparency
from api.settings import Settings
from tests import tamper
from tests.conftest import Api
from tests.factories import history_of, make_claim, make_source, move

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))
ORIGIN = "test.claimdb/log"
PROBLEM = "application/problem+json"
_histories = itertools.count(1)


def _history(api: Api) -> None:
    """A few dozen events: sources (one with a Cyrillic alias), claims, and a status change."""
    analyst = api.as_("analyst")
    number = next(_histories)
    staff = make_source(analyst, name=f"General Staff {number}", aliases=[f"Генштаб ЗСУ {number}"])
    for part in range(3):
        claim = make_claim(analyst, staff["id"], quote=f'«Ситуація {part}» — "quoted"\ttab')
    assert move(analyst, claim, "under_review").status_code == 200


def _events(api: Api) -> list[dict[str, object]]:
    return list(api.as_("viewer").get("/v1/audit", params={"limit": 500}).json()["items"])


@pytest.fixture
def log_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.key"
    transparency.write_key_file(path, transparency.generate_key(ORIGIN))
    return path


@pytest.fixture
def log_api(database_url: str, keys: dict[str, str], log_key_file: Path) -> Iterator[Api]:
    """The API with a signing key: the log signs a checkpoint at start-up, then only when asked (in these tests)."""
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        log_key_file=str(log_key_file),
        log_origin=ORIGIN,
        checkpoint_interval_seconds=3600,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Api(client, keys)


def claimdb(database_url: str, log_key_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLAIMDB_LOG_KEY_FILE": str(log_key_file),
        "CLAIMDB_LOG_ORIGIN": ORIGIN,
    }
    return subprocess.run([CLAIMDB, *args], env=environment, capture_output=True, text=True, timeout=120, check=False)


def _checkpoint(api: Api) -> tuple[str, tlog_verify.Checkpoint]:
    client = api.as_("viewer")
    response = client.get("/v1/audit/checkpoint")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    vkey = client.get("/v1/audit/log-key").text.strip()
    checkpoint, _note = tlog_verify.open_checkpoint(response.text, tlog_verify.parse_verifier_key(vkey))
    return response.text, checkpoint


# ---- the tree and its proofs ----------------------------------------------------------------------------


@pytest.mark.slow
def test_every_event_is_a_leaf_and_every_proof_verifies(api: Api, database: Database) -> None:
    _history(api)
    client = api.as_("viewer")
    events = _events(api)
    size = len(events)
    assert size > 10
    for event in events:
        assert tlog_verify.leaf_hash(tlog_verify.event_leaf(event)).hex() == event["leaf_hash"]
    leaves = [bytes.fromhex(str(event["leaf_hash"])) for event in events]
    roots = [tlog_verify.root_of(leaves[:count]) for count in range(size + 1)]
    for tree_size in range(1, size + 1):
        for seq in range(1, tree_size + 1):
            proof = client.get("/v1/audit/proof/inclusion", params={"seq": seq, "size": tree_size}).json()
            assert (proof["leaf_index"], proof["tree_size"], proof["leaf_hash"]) == (
                seq - 1,
                tree_size,
                leaves[seq - 1].hex(),
            )
            hashes = [bytes.fromhex(node) for node in proof["hashes"]]
            tlog_verify.verify_inclusion(seq - 1, tree_size, leaves[seq - 1], hashes, roots[tree_size])
        for old in range(1, tree_size + 1):
            proof = client.get("/v1/audit/proof/consistency", params={"from": old, "to": tree_size}).json()
            assert (proof["from"], proof["to"]) == (old, tree_size)
            hashes = [bytes.fromhex(node) for node in proof["hashes"]]
            tlog_verify.verify_consistency(old, tree_size, hashes, roots[old], roots[tree_size])
    with database.read_engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM tree_hashes")).scalar()
    assert stored == 2 * size - bin(size).count("1")


def test_an_event_is_served_with_its_leaf(api: Api) -> None:
    _history(api)
    client = api.as_("viewer")
    listed = _events(api)
    for shown in listed:
        served = client.get(f"/v1/audit/events/{shown['seq']}").json()
        leaf = base64.b64decode(served.pop("leaf"))
        assert served == shown
        tlog_verify.check_event_leaf(shown, leaf)
        assert json.loads(leaf)["prev_hash"] == shown["prev_hash"]
    missing = client.get("/v1/audit/events/100000")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    assert client.get("/v1/audit/events/0").status_code == 422


def test_a_claims_history_carries_the_leaf_hashes(api: Api) -> None:
    analyst = api.as_("analyst")
    claim = make_claim(analyst, make_source(analyst)["id"])
    assert move(analyst, claim, "under_review").status_code == 200
    history = history_of(analyst, claim["id"])
    audited = {event["seq"]: event for event in _events(api)}
    assert len(history) == 2
    for event in history:
        assert event["leaf_hash"] == audited[event["seq"]]["leaf_hash"]
        assert event["leaf_hash"] == tlog_verify.leaf_hash(tlog_verify.event_leaf(event)).hex()


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/audit/proof/inclusion", {"seq": 0, "size": 3}, "seq"),
        ("/v1/audit/proof/inclusion", {"seq": 4, "size": 3}, "size"),
        ("/v1/audit/proof/inclusion", {"seq": 1, "size": 10**6}, "size"),
        ("/v1/audit/proof/inclusion", {"seq": 1, "size": "many"}, "size"),
        ("/v1/audit/proof/consistency", {"from": 0, "to": 3}, "from"),
        ("/v1/audit/proof/consistency", {"from": 4, "to": 3}, "to"),
        ("/v1/audit/proof/consistency", {"from": 1, "to": 10**6}, "to"),
        ("/v1/audit/proof/consistency", {"to": 3}, "from"),
    ],
)
def test_proofs_of_sizes_the_log_does_not_have_are_422(
    api: Api, path: str, params: dict[str, object], parameter: str
) -> None:
    _history(api)
    response = api.as_("viewer").get(path, params=params)
    assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM)
    assert parameter in [error["loc"][-1] for error in response.json()["errors"]]


def test_the_tree_is_append_only(api: Api, database: Database) -> None:
    _history(api)
    for statement in ("UPDATE tree_hashes SET hash = hash", "DELETE FROM tree_hashes"):
        with pytest.raises(DatabaseError, match="append-only"), database.write_engine.begin() as connection:
            connection.execute(text(statement))


# ---- checkpoints -------------------------------------------------------------------------------------------


def test_without_a_signing_key_checkpoints_are_a_404_problem(api: Api) -> None:
    client = api.as_("viewer")
    for path in ("/v1/audit/checkpoint", "/v1/audit/log-key"):
        response = client.get(path)
        assert (response.status_code, response.headers["content-type"]) == (404, PROBLEM)
        assert "CLAIMDB_LOG_KEY_FILE" in response.json()["detail"]


def test_the_checkpoint_is_a_signed_note_of_the_whole_ledger(
    log_api: Api, database_url: str, log_key_file: Path
) -> None:
    _history(log_api)
    signed = claimdb(database_url, log_key_file, "log", "checkpoint")
    assert signed.returncode == 0, signed.stderr
    note, checkpoint = _checkpoint(log_api)
    assert note == signed.stdout
    events = _events(log_api)
    assert checkpoint.origin == ORIGIN
    assert checkpoint.size == len(events)
    assert checkpoint.root == tlog_verify.root_of(bytes.fromhex(str(event["leaf_hash"])) for event in events)
    key = transparency.read_key_file(log_key_file, tlog_verify.ED25519)
    assert log_api.as_("viewer").get("/v1/audit/log-key").text == key.verifier.vkey + "\n"


@pytest.mark.slow
def test_log_verify_accepts_a_ledger_that_only_grew(
    log_api: Api, database_url: str, log_key_file: Path, tmp_path: Path
) -> None:
    _history(log_api)
    old, _checkpoint_old = _checkpoint(log_api)
    (tmp_path / "old.txt").write_text(old)
    _history(log_api)
    assert claimdb(database_url, log_key_file, "log", "checkpoint").returncode == 0
    _new, newer = _checkpoint(log_api)
    assert newer.size > _checkpoint_old.size
    vkey = transparency.read_key_file(log_key_file, tlog_verify.ED25519).verifier.vkey
    checked = claimdb(
        database_url, log_key_file, "log", "verify", "--vkey", vkey, "--checkpoint", str(tmp_path / "old.txt")
    )
    assert checked.returncode == 0, checked.stderr
    assert "log verify ok" in checked.stdout


@pytest.mark.slow
@pytest.mark.fresh_database
def test_the_log_refuses_to_sign_a_rewritten_tail(
    log_api: Api, database: Database, database_url: str, log_key_file: Path, tmp_path: Path
) -> None:
    _history(log_api)
    assert claimdb(database_url, log_key_file, "log", "checkpoint").returncode == 0
    old, _ = _checkpoint(log_api)
    (tmp_path / "old.txt").write_text(old)
    tamper.rewrite_tail(database, 3, rationale="it was always refuted", to_status="refuted")
    verdict = log_api.as_("viewer").get("/v1/audit/verify").json()
    # Chain and tree agree (forged well); only the tables the forger left alone disagree with the forged events.
    assert verdict["ok"] is False
    assert verdict["first_broken_seq"] is None
    assert verdict["mismatches"]
    refused = claimdb(database_url, log_key_file, "log", "checkpoint")
    assert refused.returncode == 1
    assert "rewritten" in refused.stderr and "refuses to sign" in refused.stderr
    assert _checkpoint(log_api)[0] == old  # the log keeps serving what it signed
    vkey = transparency.read_key_file(log_key_file, tlog_verify.ED25519).verifier.vkey
    checked = claimdb(
        database_url, log_key_file, "log", "verify", "--vkey", vkey, "--checkpoint", str(tmp_path / "old.txt")
    )
    assert checked.returncode == 1
    assert "not consistent with the checkpoint" in checked.stderr


@pytest.mark.slow
@pytest.mark.fresh_database
def test_the_log_refuses_to_sign_a_cut_tail(
    log_api: Api, database: Database, database_url: str, log_key_file: Path, tmp_path: Path
) -> None:
    _history(log_api)
    make_source(log_api.as_("analyst"))
    make_source(log_api.as_("analyst"))
    assert claimdb(database_url, log_key_file, "log", "checkpoint").returncode == 0
    old, signed = _checkpoint(log_api)
    (tmp_path / "old.txt").write_text(old)
    kept = tamper.cut_tail(database, 2)
    assert kept == signed.size - 2
    refused = claimdb(database_url, log_key_file, "log", "checkpoint")
    assert refused.returncode == 1
    assert "fewer than" in refused.stderr
    vkey = transparency.read_key_file(log_key_file, tlog_verify.ED25519).verifier.vkey
    checked = claimdb(
        database_url, log_key_file, "log", "verify", "--vkey", vkey, "--checkpoint", str(tmp_path / "old.txt")
    )
    assert checked.returncode == 1
    assert f"the log has {kept} events, fewer than the {signed.size} of the checkpoint" in checked.stderr


@pytest.mark.slow
@pytest.mark.fresh_database
def test_verify_finds_events_rewritten_under_an_untouched_tree(
    log_api: Api, database: Database, database_url: str, log_key_file: Path, tmp_path: Path
) -> None:
    _history(log_api)
    old, _ = _checkpoint(log_api)
    (tmp_path / "old.txt").write_text(old)
    kept = tamper.rewrite_tail(database, 2, recompute_tree=False, rationale="rewritten")
    verdict = log_api.as_("viewer").get("/v1/audit/verify").json()
    assert verdict["ok"] is False
    assert verdict["first_broken_seq"] == kept + 1
    assert "its leaf hash differs" in verdict["reason"]
    assert claimdb(database_url, log_key_file, "verify").returncode == 1
    vkey = transparency.read_key_file(log_key_file, tlog_verify.ED25519).verifier.vkey
    checked = claimdb(
        database_url, log_key_file, "log", "verify", "--vkey", vkey, "--checkpoint", str(tmp_path / "old.txt")
    )
    assert checked.returncode == 1
    assert "the tree does not hold the events" in checked.stderr


@pytest.mark.fresh_database
def test_verify_finds_a_changed_subtree_hash_and_a_tree_longer_than_the_ledger(api: Api, database: Database) -> None:
    _history(api)
    client = api.as_("viewer")
    size = len(_events(api))
    tamper.drop_guards(database)
    target = merkle.position(1, 1)  # the subtree of leaves 2 and 3, completed by event 4
    with database.write_engine.begin() as connection:
        connection.execute(
            text("UPDATE tree_hashes SET hash = :forged WHERE position = :at"), {"forged": bytes(32), "at": target}
        )
    verdict = client.get("/v1/audit/verify").json()
    assert (verdict["ok"], verdict["first_broken_seq"]) == (False, 4)
    assert "subtree of height 1" in verdict["reason"]
    tamper.rebuild_tree(database, 3)
    repaired = client.get("/v1/audit/verify").json()
    assert (repaired["ok"], repaired["events"]) == (True, size)
    with database.write_engine.begin() as connection:
        connection.execute(text("DELETE FROM events WHERE seq = :last"), {"last": size})
    verdict = client.get("/v1/audit/verify").json()
    assert (verdict["ok"], verdict["first_broken_seq"]) == (False, size)
    assert "events were removed" in verdict["reason"]


# ---- the migration --------------------------------------------------------------------------------------------


def _tree_rows(database: Database) -> list[tuple[int, bytes]]:
    with database.read_engine.connect() as connection:
        return [
            (row[0], bytes(row[1]))
            for row in connection.execute(text("SELECT position, hash FROM tree_hashes ORDER BY position"))
        ]


@pytest.mark.fresh_database
def test_the_migration_builds_the_tree_the_ledger_built(api: Api, database: Database, database_url: str) -> None:
    _history(api)
    built = _tree_rows(database)
    assert len(built) > 20
    database.dispose()
    downgrade(database_url, "0006")
    upgrade(database_url, "head")
    assert _tree_rows(database) == built
    assert api.as_("viewer").get("/v1/audit/verify").json()["ok"] is True


@pytest.mark.fresh_database
def test_the_migration_refuses_to_build_a_tree_over_a_broken_chain(
    api: Api, database: Database, database_url: str
) -> None:
    _history(api)
    database.dispose()
    downgrade(database_url, "0006")
    tamper.drop_guards(database)
    with database.write_engine.begin() as connection:
        connection.execute(text("UPDATE events SET rationale = 'edited' WHERE seq = 5"))
    with pytest.raises(RuntimeError, match="event 5 does not hash to its stored hash"):
        upgrade(database_url, "head")


# ---- configuration --------------------------------------------------------------------------------------------


def test_the_origin_defaults_to_the_public_url_and_must_name_the_key(tmp_path: Path) -> None:
    assert transparency.default_origin("https://claims.example.org/") == "claims.example.org"
    assert transparency.default_origin("http://127.0.0.1:8000") == "127.0.0.1:8000"
    path = tmp_path / "key"
    transparency.write_key_file(path, transparency.generate_key("claims.example.org"))
    log = transparency.Log.from_settings(Settings(log_key_file=str(path), public_base_url="https://claims.example.org"))
    assert log is not None and log.origin == "claims.example.org"
    assert log.state_path == tmp_path / "key.state"
    with pytest.raises(ValueError, match="CLAIMDB_LOG_ORIGIN"):
        transparency.Log.from_settings(Settings(log_key_file=str(path), log_origin="elsewhere.example"))
    with pytest.raises(FileExistsError):
        transparency.write_key_file(path, transparency.generate_key("claims.example.org"))
    with pytest.raises(ValueError, match="http"):
        transparency.Log.from_settings(
            Settings(log_key_file=str(path), log_origin="claims.example.org", witness_urls="file:///etc/passwd")
        )


@pytest.mark.fresh_database
def test_appends_after_another_writer_build_on_the_tree_as_it_now_is(api: Api, database: Database) -> None:
    """The server keeps its last edge between writes; a ledger moved by anyone else must be read again."""
    _history(api)
    tamper.rewrite_tail(database, 3, rationale="rewritten elsewhere")  # the same size, another head
    make_source(api.as_("analyst"))
    assert api.as_("viewer").get("/v1/audit/verify").json()["ok"] is True
    tamper.cut_tail(database, 1)  # a smaller tree
    make_source(api.as_("analyst"))
    make_source(api.as_("analyst"))
    assert api.as_("viewer").get("/v1/audit/verify").json()["ok"] is True
