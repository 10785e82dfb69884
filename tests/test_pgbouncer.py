"""claimdb behind PgBouncer in transaction pooling (Debian's pgbouncer), against a real one.

`.ci/pgbouncer.sh` starts PgBouncer in front of the CI PostgreSQL, names its port in CLAIMDB_TEST_PGBOUNCER_PORT,
runs this file and stops it. The test's database is made directly on PostgreSQL (a pooler keeps connections to
a template open, which CREATE DATABASE refuses); only the server's own URL goes through PgBouncer. Without it these
tests are skipped, unless CLAIMDB_REQUIRE_PGBOUNCER=1, where they fail.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.factories import make_claim, make_source, move
from tests.server import ServerProcess

PGBOUNCER_PORT = os.environ.get("CLAIMDB_TEST_PGBOUNCER_PORT")

if PGBOUNCER_PORT is None:
    if os.environ.get("CLAIMDB_REQUIRE_PGBOUNCER") == "1":
        raise RuntimeError("CLAIMDB_REQUIRE_PGBOUNCER=1 but CLAIMDB_TEST_PGBOUNCER_PORT names no PgBouncer")
    pytest.skip("no PgBouncer (run .ci/pgbouncer.sh)", allow_module_level=True)


@pytest.fixture
def engine_name() -> str:
    """PgBouncer pools PostgreSQL: this file runs on PostgreSQL only."""
    return "postgresql"


@pytest.fixture(params=[1, 2], ids=["1-worker", "2-workers"])
def pooled(
    database_url: str, keys: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    """`claimdb serve` whose every connection goes through PgBouncer."""
    url = make_url(database_url).set(port=int(PGBOUNCER_PORT or 0)).render_as_string(hide_password=False)
    # Debian 12's PgBouncer (1.18) keeps no prepared statements across server connections.
    environment = {"CLAIMDB_POSTGRES_PREPARED_STATEMENTS": "false"}
    server = ServerProcess(url, tmp_path / "server.log", keys, environment, workers=int(request.param))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_writes_reads_and_races_through_transaction_pooling(pooled: ServerProcess) -> None:
    with pooled.client("analyst") as analyst, pooled.client("viewer") as viewer:
        source = make_source(analyst)
        claims = [make_claim(analyst, source["id"], statement=f"Report {number}.") for number in range(12)]
        # Repeated statements: psycopg would prepare them after five runs, on whichever server connection.
        for claim in claims:
            for _ in range(3):
                assert viewer.get(f"/v1/claims/{claim['id']}").status_code == 200
        assert len(viewer.get(f"/v1/sources/{source['id']}/claims").json()["items"]) == 12
        assert move(analyst, claims[0], "under_review").status_code == 200

        outcomes: list[int] = []
        lock = threading.Lock()

        def race() -> None:
            with pooled.client("reviewer") as reviewer:
                answer = reviewer.post(
                    f"/v1/claims/{claims[0]['id']}/status",
                    json={"status": "disputed", "rationale": "contested"},
                    headers={"If-Match": '"2"'},
                )
            with lock:
                outcomes.append(answer.status_code)

        threads = [threading.Thread(target=race) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert Counter(outcomes) == {200: 1, 412: 11}, outcomes
        verdict = viewer.get("/v1/audit/verify").json()
        assert verdict["ok"] is True, verdict
    log = pooled.log.read_text()
    assert "Traceback" not in log, log[-4000:]
    # Through PgBouncer indeed: its own count of the transactions it relayed to this test's database.
    database = make_url(pooled.database_url).database
    stats = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(PGBOUNCER_PORT),
            "-U",
            "postgres",
            "-d",
            "pgbouncer",
            "-tAc",
            "SHOW STATS",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    relayed = [int(line.split("|")[1]) for line in stats.splitlines() if line.split("|")[0] == database]
    assert relayed and relayed[0] > 50, stats
