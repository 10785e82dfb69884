"""The `claimdb` command, run as a user would, against the test's database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from api.database import Database
from tests.conftest import Api

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([CLAIMDB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_key_create_prints_the_key_last_and_it_works(api: Api, database_url: str) -> None:
    result = run(database_url, "key", "create", "--name", "night-desk", "--role", "analyst")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("cdb_")
    response = api.anonymous().get("/v1/sources", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    refused = api.anonymous().post(
        "/v1/sources",
        json={"name": "X", "kind": "other", "reliability": "A"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code == 403


@pytest.mark.slow
def test_key_revoke_by_prefix(api: Api, database_url: str) -> None:
    key = run(database_url, "key", "create", "--name", "temp", "--role", "viewer").stdout.strip().splitlines()[-1]
    prefix = key.split("_")[1]
    result = run(database_url, "key", "revoke", prefix)
    assert result.returncode == 0, result.stderr
    assert api.anonymous().get("/v1/sources", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    missing = run(database_url, "key", "revoke", "ffffffffffff")
    assert missing.returncode == 2
    assert "No API key" in missing.stderr


def test_key_create_refuses_unknown_role(database_url: str) -> None:
    result = run(database_url, "key", "create", "--name", "x", "--role", "emperor")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


@pytest.mark.slow
def test_demo_loads_once_and_prints_a_key_per_role(database_url: str, api: Api) -> None:
    first = run(database_url, "demo")
    assert first.returncode == 0, first.stderr
    assert "loaded 14 claims" in first.stdout
    lines = [line.split() for line in first.stdout.splitlines() if "cdb_" in line]
    assert [line[0] for line in lines] == ["viewer", "analyst", "reviewer", "admin"]
    second = run(database_url, "demo")
    assert "nothing loaded" in second.stdout
    analyst_key = [line.split() for line in second.stdout.splitlines() if "cdb_" in line][1][2]
    claims = api.anonymous().get(
        "/v1/claims", params={"limit": 100}, headers={"Authorization": f"Bearer {analyst_key}"}
    )
    assert len(claims.json()["items"]) == 14


def _demo_keys(output: str) -> dict[str, str]:
    return {line.split()[0]: line.split()[2] for line in output.splitlines() if "cdb_" in line}


@pytest.mark.slow
def test_each_demo_run_revokes_the_keys_of_the_run_before(database_url: str, api: Api, database: Database) -> None:
    from models import Actor, ApiKey

    runs = [run(database_url, "demo") for _ in range(3)]
    assert all(result.returncode == 0 for result in runs), [result.stderr for result in runs]
    assert "revoked" not in runs[0].stdout
    assert "revoked the 4 demo keys printed by earlier runs" in runs[1].stdout
    assert "revoked the 4 demo keys printed by earlier runs" in runs[2].stdout
    keys = [_demo_keys(result.stdout) for result in runs]
    for earlier in keys[:2]:
        for role, key in earlier.items():
            response = api.anonymous().get("/v1/sources", headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 401, role
    for role, key in keys[2].items():
        assert api.anonymous().get("/v1/sources", headers={"Authorization": f"Bearer {key}"}).status_code == 200, role
    with database.transaction(write=False) as session:
        live = session.execute(
            select(Actor.name).join(ApiKey, ApiKey.actor_id == Actor.id).where(ApiKey.revoked_at.is_(None))
        ).scalars()
        demo_live = sorted(name for name in live if name.startswith("demo-"))
    assert demo_live == ["demo-admin", "demo-analyst", "demo-reviewer", "demo-viewer"]
    # Each revocation is in the ledger, like any other.
    revoked = api.as_("admin").get("/v1/audit", params={"type": "key.revoked", "limit": 50}).json()["items"]
    assert len(revoked) == 8
    # The suite's own keys, whose actors are not demo actors, are untouched.
    assert api.as_("viewer").get("/v1/sources").status_code == 200


@pytest.mark.slow
@pytest.mark.fresh_database
def test_verify_exits_nonzero_on_a_broken_chain(database_url: str, database: Database, api: Api) -> None:
    assert run(database_url, "demo").returncode == 0
    ok = run(database_url, "verify")
    assert ok.returncode == 0 and "ledger ok" in ok.stdout
    with database.write_engine.begin() as connection:
        if database.is_sqlite:
            connection.execute(text("DROP TRIGGER events_refuse_update"))
        else:
            connection.execute(text("DROP TRIGGER events_refuse_change ON events"))
        connection.execute(text("UPDATE events SET rationale = 'forged' WHERE seq = 5"))
    broken = run(database_url, "verify")
    assert broken.returncode == 1
    assert "seq 5" in broken.stderr


def test_migrate_is_idempotent(database_url: str) -> None:
    result = run(database_url, "migrate")
    assert result.returncode == 0, result.stderr
    assert "migrated to head" in result.stdout


# ---- a user's mistake: one line and a non-zero exit, never a traceback ------------------------------


@pytest.fixture
def unmigrated_url(engine_name: str, tmp_path: Path) -> Any:
    """An empty database that exists but was never migrated (an empty file; a new PostgreSQL database)."""
    if engine_name == "sqlite":
        path = tmp_path / "empty.sqlite3"
        sqlite3.connect(path).close()
        yield f"sqlite:///{path}"
        return
    from tests.conftest import _postgres_admin_engine, _postgres_url

    name = f"claimdb_unmigrated_{os.getpid()}"
    engine = _postgres_admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error.orig}")
    yield _postgres_url(name)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def one_clear_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("claimdb: "), lines
    for words in expected:
        assert words in lines[0], (words, lines[0])


@pytest.mark.slow
def test_commands_on_an_unmigrated_database_say_to_migrate(unmigrated_url: str) -> None:
    for command in (
        ["verify"],
        ["serve", "--port", "18457"],
        ["demo"],
        ["export"],
        ["key", "create", "--name", "x", "--role", "viewer"],
        ["key", "revoke", "abc"],
    ):
        one_clear_line(run(unmigrated_url, *command), "not migrated", "claimdb migrate")
    # Migrating then lets them work.
    assert run(unmigrated_url, "migrate").returncode == 0
    assert run(unmigrated_url, "verify").returncode == 0


@pytest.mark.slow
def test_a_missing_sqlite_file_is_named_and_never_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    url = f"sqlite:///{missing}"
    for command in (["verify"], ["serve", "--port", "18458"], ["demo"], ["export"]):
        one_clear_line(run(url, *command), str(missing), "claimdb migrate")
    # Backing up a file that does not exist used to write an empty "backup" and exit 0.
    target = tmp_path / "backup.sqlite3"
    one_clear_line(run(url, "backup", str(target)), "no SQLite database", str(missing))
    assert not missing.exists() and not target.exists()


@pytest.mark.slow
def test_file_mistakes_are_one_line(database_url: str, tmp_path: Path, engine_name: str) -> None:
    one_clear_line(run(database_url, "import", str(tmp_path / "claims.ndjson")), "claims.ndjson", "no such file")
    one_clear_line(run(database_url, "import", str(tmp_path)), "not a file")
    one_clear_line(
        run(database_url, "export", "-o", str(tmp_path / "no" / "claims.ndjson")), "folder", "does not exist"
    )
    binary = tmp_path / "report.txt"
    binary.write_bytes(b"\xff\xfe\x00 not text")
    one_clear_line(run(database_url, "extract", str(binary)), "not UTF-8")
    one_clear_line(run(database_url, "export", "--source", "Nobody At All"), "Nobody At All")
    one_clear_line(run(database_url, "export", "--stated-from", "yesterday"), "--stated-from")
    if engine_name == "sqlite":
        one_clear_line(run(database_url, "backup", str(tmp_path / "missing" / "b.sqlite3")), "folder", "does not exist")
        assert not (tmp_path / "missing").exists()


@pytest.mark.slow
def test_exporting_into_a_closed_pipe_is_one_line(database_url: str, api: Api) -> None:
    assert run(database_url, "demo").returncode == 0
    env = {**os.environ, "DATABASE_URL": database_url}
    # `claimdb export | head`, with a reader that is gone before the first write (`head -c 0` reads nothing and
    # exits at once, while claimdb is still starting), so the closed pipe is met every time, not by chance.
    result = subprocess.run(
        f"'{CLAIMDB}' export --format csv | head -c 0; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    one_clear_line(result, "output was closed")


def test_an_unreachable_postgresql_is_one_line() -> None:
    one_clear_line(run("postgresql://postgres@127.0.0.1:1/claimdb", "verify"), "database")
