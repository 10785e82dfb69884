"""`claimdb serve --workers N`: N processes behind one port, and the write turn passed between them.

The race and crash tests (test_concurrency.py, test_crash_safety.py) run against one and two workers through
the `server` fixture; these tests pin what only several processes have.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.database import Database
from tests.factories import make_source
from tests.server import ServerProcess

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))
pytestmark = pytest.mark.slow


def _claim(source_id: str, number: int) -> dict[str, str]:
    return {
        "statement": f"Shelling reported near Kupiansk ({number}).",
        "source_id": source_id,
        "channel": "telegram",
        "stated_at": "2022-09-10T06:00:00Z",
    }


@pytest.fixture
def two_workers(database_url: str, keys: dict[str, str], tmp_path: Path) -> Iterator[ServerProcess]:
    # A busy timeout far shorter than any wait below: a writer left to SQLite's busy handler would fail with
    # "database is locked", so a write that waits and succeeds waited for the turn, not the handler.
    process = ServerProcess(
        database_url, tmp_path / "server.log", keys, {"CLAIMDB_SQLITE_BUSY_TIMEOUT_MS": "50"}, workers=2
    )
    process.start()
    yield process
    process.stop()


def test_two_workers_are_two_processes_on_one_port(engine_name: str, request: pytest.FixtureRequest) -> None:
    if engine_name != "sqlite":
        pytest.skip("how many processes serve does not depend on the engine")
    two_workers: ServerProcess = request.getfixturevalue("two_workers")
    pids = two_workers.worker_pids()
    assert len(set(pids)) == 2
    assert two_workers.process is not None and two_workers.process.pid not in pids


def test_writes_from_both_workers_make_one_whole_chain(two_workers: ServerProcess, engine_name: str) -> None:
    with two_workers.client("analyst") as analyst:
        source_id = make_source(analyst)["id"]
        events_before = analyst.get("/v1/audit/verify").json()["events"]

    def post(number: int) -> int:
        # A connection per request, so the kernel hands the requests to either worker.
        with two_workers.client("analyst") as client:
            return client.post("/v1/claims", json=_claim(source_id, number)).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(post, range(80)))
    assert statuses == [201] * 80
    with two_workers.client("viewer") as viewer:
        verdict = viewer.get("/v1/audit/verify").json()
    assert verdict == {**verdict, "ok": True, "events": events_before + 80}
    log = two_workers.log.read_text()
    assert "database is locked" not in log
    assert "Traceback" not in log


def test_a_writer_waits_for_the_turn_held_by_another_process(
    engine_name: str, database: Database, request: pytest.FixtureRequest
) -> None:
    """Another process (here the test's own) holds a write transaction for longer than the busy timeout."""
    if engine_name != "sqlite":
        pytest.skip("the write turn across processes is SQLite's; PostgreSQL queues writers on its ledger lock")
    two_workers: ServerProcess = request.getfixturevalue("two_workers")
    with two_workers.client("analyst") as analyst:
        source_id = make_source(analyst)["id"]
    answers: list[httpx.Response] = []
    with database.transaction() as session:
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: this process holds the write turn and SQLite's lock
        writers = [
            threading.Thread(
                target=lambda number=number: answers.append(
                    two_workers.client("analyst").post("/v1/claims", json=_claim(source_id, number))
                )
            )
            for number in range(4)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(timeout=0.5)
        assert answers == [], "a writer went ahead while another process held the write turn"
    for writer in writers:
        writer.join(timeout=30)
    assert [answer.status_code for answer in answers] == [201] * 4, [answer.text for answer in answers]
    assert "database is locked" not in two_workers.log.read_text()


def test_workers_must_be_a_number_or_auto(database_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": database_url}
    for value in ("0", "two", "²"):
        result = subprocess.run(
            [CLAIMDB, "serve", "--port", "18459", "--workers", value],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert "workers must be a whole number from 1 to 64, or auto" in result.stderr
        assert "Traceback" not in result.stderr
