"""The `claimdb` command, run as a user would, against the test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

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


def test_demo_loads_once_and_prints_a_key_per_role(database_url: str, api: Api) -> None:
    first = run(database_url, "demo")
    assert first.returncode == 0, first.stderr
    assert "loaded 14 claims" in first.stdout
    lines = [line.split() for line in first.stdout.splitlines() if "cdb_" in line]
    assert [line[0] for line in lines] == ["viewer", "analyst", "reviewer", "admin"]
    second = run(database_url, "demo")
    assert "nothing loaded" in second.stdout
    analyst_key = lines[1][2]
    claims = api.anonymous().get(
        "/v1/claims", params={"limit": 100}, headers={"Authorization": f"Bearer {analyst_key}"}
    )
    assert len(claims.json()["items"]) == 14


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
