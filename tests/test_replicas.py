"""PostgreSQL read replicas with read-your-writes by WAL position, against a real streaming standby.

`.ci/replica.sh` stands the standby up (pg_createcluster, pg_basebackup -R) on another port, names it in
CLAIMDB_TEST_REPLICA_PORT, runs this file and removes the standby. Without it these tests are skipped, unless
CLAIMDB_REQUIRE_REPLICA=1, where they fail.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from api.app import create_app
from api.settings import Settings
from tests.factories import make_source
from tests.server import ServerProcess

REPLICA_PORT = os.environ.get("CLAIMDB_TEST_REPLICA_PORT")
LSN = re.compile(r"[0-9A-F]{1,8}/[0-9A-F]{1,8}")

if REPLICA_PORT is None:
    if os.environ.get("CLAIMDB_REQUIRE_REPLICA") == "1":
        raise RuntimeError("CLAIMDB_REQUIRE_REPLICA=1 but CLAIMDB_TEST_REPLICA_PORT names no replica")
    pytest.skip("no streaming replica (run .ci/replica.sh)", allow_module_level=True)


@pytest.fixture
def engine_name() -> str:
    """Replicas are PostgreSQL's: this file runs on PostgreSQL only."""
    return "postgresql"


@pytest.fixture
def replica_url(database_url: str) -> str:
    return make_url(database_url).set(port=int(REPLICA_PORT or 0)).render_as_string(hide_password=False)


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def _wait_for_catch_up(database_url: str, replica_url: str) -> None:
    """Until the replica has replayed everything the primary wrote so far (the test's emptied database too)."""
    target = _scalar(database_url, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 30
    # Asked in the replica's `postgres` database: the test's own may not have been replayed into being yet.
    replica_server = make_url(replica_url).set(database="postgres").render_as_string(hide_password=False)
    while not _scalar(replica_server, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.02)


@pytest.fixture
def clients(
    database_url: str, replica_url: str, keys: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[dict[str, httpx.Client]]:
    """One client per actor of an app whose reads go to the replica (plus any replica URLs a test adds)."""
    extra = getattr(request, "param", "")
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        read_replica_urls=",".join(filter(None, [extra, replica_url])),
        replica_wait_ms=1000,  # a loaded machine's replica can lag more than the default 200 ms
    )
    _wait_for_catch_up(database_url, replica_url)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as lifespan:
        made = {
            who: TestClient(lifespan.app, headers={"Authorization": f"Bearer {key}"}, raise_server_exceptions=False)
            for who, key in keys.items()
        }
        made["anonymous"] = lifespan
        yield made


@pytest.fixture
def paused(replica_url: str) -> Iterator[None]:
    """Replay paused on the replica for the test's first part; resumed however the test ends."""
    engine = create_engine(replica_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        yield None
    finally:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))
        engine.dispose()


def test_a_write_answers_its_commit_lsn_and_reads_say_where_they_were_served(clients: dict[str, httpx.Client]) -> None:
    analyst = clients["analyst"]
    source = analyst.post("/v1/sources", json={"name": "General Staff", "kind": "military"})
    assert source.status_code == 201, source.text
    assert LSN.fullmatch(source.headers["X-Claimdb-Commit-LSN"])
    assert source.headers["X-Claimdb-Served-By"] == "primary"
    read = analyst.get(
        f"/v1/sources/{source.json()['id']}/claims",
        headers={"X-Claimdb-Read-After": source.headers["X-Claimdb-Commit-LSN"]},
    )
    assert read.headers["X-Claimdb-Served-By"] == "replica"
    assert "X-Claimdb-Commit-LSN" not in read.headers
    refused = analyst.get("/v1/claims", headers={"X-Claimdb-Read-After": "yesterday"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["X-Claimdb-Read-After"]


def test_200_writes_each_read_back_with_its_token_all_see_the_write(
    clients: dict[str, httpx.Client], capsys: pytest.CaptureFixture[str]
) -> None:
    analyst = clients["analyst"]
    source_id = make_source(analyst)["id"]
    served: Counter[str] = Counter()
    started = time.perf_counter()
    for number in range(200):
        posted = analyst.post(
            "/v1/claims",
            json={
                "statement": f"Shelling reported near Kupiansk ({number}).",
                "source_id": source_id,
                "channel": "telegram",
                "stated_at": "2022-09-10T06:00:00Z",
            },
        )
        assert posted.status_code == 201, posted.text
        read = analyst.get(
            f"/v1/claims/{posted.json()['id']}",
            headers={"X-Claimdb-Read-After": posted.headers["X-Claimdb-Commit-LSN"]},
        )
        assert read.status_code == 200, (number, read.headers.get("X-Claimdb-Served-By"), read.text)
        assert read.json()["statement"] == f"Shelling reported near Kupiansk ({number})."
        served[read.headers["X-Claimdb-Served-By"]] += 1
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n200 write-then-read cycles in {elapsed:.2f} s; reads served by {dict(served)}")
    assert sum(served.values()) == 200


def test_with_replay_paused_a_token_is_served_by_the_primary_and_no_token_stale_by_the_replica(
    clients: dict[str, httpx.Client], replica_url: str, paused: None, capsys: pytest.CaptureFixture[str]
) -> None:
    analyst = clients["analyst"]
    source_id = make_source(analyst)["id"]
    first = analyst.post("/v1/claims", json=_body(source_id))
    listing = analyst.get("/v1/claims", headers={"X-Claimdb-Read-After": first.headers["X-Claimdb-Commit-LSN"]})
    old_tag = listing.headers["ETag"]
    _pause(replica_url)

    posted = analyst.post(
        "/v1/claims", json={**_body(source_id), "statement": "Written while the replica's replay is paused."}
    )
    assert posted.status_code == 201, posted.text
    token = posted.headers["X-Claimdb-Commit-LSN"]
    url = f"/v1/claims/{posted.json()['id']}"

    stale = analyst.get(url)
    assert (stale.status_code, stale.headers["X-Claimdb-Served-By"]) == (404, "replica")
    stale_list = analyst.get("/v1/claims", headers={"If-None-Match": old_tag})
    assert (stale_list.status_code, stale_list.headers["X-Claimdb-Served-By"]) == (304, "replica")

    started = time.perf_counter()
    fresh = analyst.get(url, headers={"X-Claimdb-Read-After": token})
    waited = time.perf_counter() - started
    assert (fresh.status_code, fresh.headers["X-Claimdb-Served-By"]) == (200, "primary"), fresh.text
    fresh_list = analyst.get("/v1/claims", headers={"X-Claimdb-Read-After": token, "If-None-Match": old_tag})
    assert (fresh_list.status_code, fresh_list.headers["X-Claimdb-Served-By"]) == (200, "primary")
    assert {item["id"] for item in fresh_list.json()["items"]} == {first.json()["id"], posted.json()["id"]}

    _scalar(replica_url, "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 10
    while (after := analyst.get(url, headers={"X-Claimdb-Read-After": token})).headers[
        "X-Claimdb-Served-By"
    ] != "replica":
        assert time.monotonic() < deadline, "the replica never served the write after replay resumed"
    assert after.status_code == 200
    with capsys.disabled():
        print(f"\npaused replica: the read with a token was answered by the primary after {waited * 1000:.0f} ms")


def _body(source_id: str) -> dict[str, str]:
    return {
        "statement": "Shelling reported near Kupiansk.",
        "source_id": source_id,
        "channel": "telegram",
        "stated_at": "2022-09-10T06:00:00Z",
    }


def _pause(replica_url: str) -> None:
    _scalar(replica_url, "SELECT pg_wal_replay_pause()")
    while _scalar(replica_url, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        time.sleep(0.01)


@pytest.mark.slow  # each read with a token waits for the replica (1 s here), then the primary
def test_with_replay_paused_every_list_is_304_stale_without_a_token_and_fresh_with_one(
    clients: dict[str, httpx.Client], replica_url: str, paused: None
) -> None:
    """The other lists' tags are read where the answer is read, as `GET /v1/claims`'s: never a stale 304 for a
    client presenting a newer commit."""
    analyst = clients["analyst"]
    source_id = make_source(analyst)["id"]
    claim = analyst.post("/v1/claims", json=_body(source_id))
    token = {"X-Claimdb-Read-After": claim.headers["X-Claimdb-Commit-LSN"]}
    lists = [
        ("/v1/sources", {}),
        (f"/v1/sources/{source_id}/scorecard", {}),
        ("/v1/audit", {"limit": "500"}),
        (f"/v1/claims/{claim.json()['id']}/history", {}),
        (f"/v1/claims/{claim.json()['id']}/evidence", {}),
        ("/v1/places", {"q": "Kup"}),
        (f"/v1/claims/{claim.json()['id']}/related", {}),
        ("/v1/compare", {"place": "Kupiansk"}),
    ]
    tags = {url: analyst.get(url, params=query, headers=token).headers["ETag"] for url, query in lists}
    _pause(replica_url)

    # One write that changes every list: a claim of the source about Kupiansk, with evidence, and the place.
    provider = make_source(analyst, name="Monitor", kind="ngo")["id"]
    second = analyst.post("/v1/claims", json={**_body(source_id), "places": ["Kupiansk"]})
    assert second.status_code == 201, second.text
    evidence = {"stance": "supports", "kind": "document", "url": "https://example.org/e/1"}
    added = analyst.post(
        f"/v1/claims/{claim.json()['id']}/evidence", json={**evidence, "provided_by_source_id": provider}
    )
    assert added.status_code == 201, added.text
    place = analyst.post("/v1/places", json={"name": "Kupiansk", "kind": "settlement"})
    assert place.status_code == 201, place.text
    newer = {"X-Claimdb-Read-After": place.headers["X-Claimdb-Commit-LSN"]}

    for url, query in lists:
        stale = analyst.get(url, params=query, headers={"If-None-Match": tags[url]})
        assert (stale.status_code, stale.headers["X-Claimdb-Served-By"]) == (304, "replica"), url
        fresh = analyst.get(url, params=query, headers={**newer, "If-None-Match": tags[url]})
        assert (fresh.status_code, fresh.headers["X-Claimdb-Served-By"]) == (200, "primary"), url
        assert fresh.headers["ETag"] != tags[url], url


DESK_ORIGIN = "http://testserver"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _desk(clients: dict[str, httpx.Client], key: str) -> TestClient:
    """A browser signed in to the desk of the replica-reading app, with its own session cookie."""
    desk = TestClient(
        clients["anonymous"].app,  # type: ignore[attr-defined]
        base_url=DESK_ORIGIN,
        follow_redirects=False,
        headers={"Origin": DESK_ORIGIN},
        raise_server_exceptions=False,
    )
    signed_in = desk.post("/signin", data={"csrf_token": _csrf(desk, "/signin"), "api_key": key, "next": "/claims"})
    assert signed_in.status_code == 303, signed_in.text
    return desk


def _csrf(desk: TestClient, path: str) -> str:
    page = desk.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


@pytest.mark.slow  # each read with a token waits for the replica (1 s here), then the primary
def test_with_replay_paused_the_desk_reads_its_own_writes_from_the_primary(
    clients: dict[str, httpx.Client], keys: dict[str, str], database_url: str, replica_url: str, paused: None
) -> None:
    """The desk keeps each write's commit position in its session: its next page is read where the write is."""
    source = make_source(clients["analyst"], name="Kharkiv RMA")
    writer, onlooker = _desk(clients, keys["analyst"]), _desk(clients, keys["analyst"])
    _wait_for_catch_up(database_url, replica_url)
    before = writer.get("/claims")
    assert (before.status_code, before.headers["X-Claimdb-Served-By"]) == (200, "replica")
    _pause(replica_url)

    statement = "Posted on the desk while replay on the replica is paused."
    posted = writer.post(
        "/claims/new",
        data={
            "csrf_token": _csrf(writer, "/claims/new"),
            "statement": statement,
            "source": source["name"],
            "channel": "telegram",
            "stated_at": "2022-09-10T06:00",
            "stated_at_precision": "minute",
            "idempotency_key": "desk-paused-1",
        },
    )
    assert posted.status_code == 303, posted.text
    assert LSN.fullmatch(posted.headers["X-Claimdb-Commit-LSN"])
    claim_page = posted.headers["location"]
    page = writer.get(claim_page)
    assert (page.status_code, page.headers["X-Claimdb-Served-By"]) == (200, "primary"), page.text
    assert statement in page.text
    listing = writer.get("/claims")
    assert (listing.status_code, listing.headers["X-Claimdb-Served-By"]) == (200, "primary")
    assert statement in listing.text
    # Another desk session, whose last write came before the pause, reads the replica as it stands: stale.
    stale = onlooker.get(claim_page)
    assert (stale.status_code, stale.headers["X-Claimdb-Served-By"]) == (404, "replica")
    stale_list = onlooker.get("/claims")
    assert (stale_list.status_code, stale_list.headers["X-Claimdb-Served-By"]) == (200, "replica")
    assert statement not in stale_list.text

    # A status move from the claim page: the page it comes back to shows the new status, from the primary.
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    moved = writer.post(
        f"{claim_page}/status",
        data={
            "csrf_token": _csrf(writer, claim_page),
            "version": version.group(1),
            "status": "under_review",
            "rationale": "Checking the footage.",
        },
    )
    assert moved.status_code == 303, moved.text
    after_move = writer.get(claim_page)
    assert (after_move.status_code, after_move.headers["X-Claimdb-Served-By"]) == (200, "primary")
    assert "Checking the footage." in after_move.text

    _scalar(replica_url, "SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 10
    while (again := writer.get(claim_page)).headers["X-Claimdb-Served-By"] != "replica":
        assert time.monotonic() < deadline, "the replica never served the desk's write after replay resumed"
    assert again.status_code == 200
    assert "Checking the footage." in again.text
    # Signing out still clears the cookie: a session emptied by its write keeps no position.
    signed_out = writer.post("/signout", data={"csrf_token": _csrf(writer, "/claims")})
    assert signed_out.status_code == 303
    assert "expires=thu, 01 jan 1970" in signed_out.headers["set-cookie"].lower()


def test_a_desk_page_read_from_a_replica_checks_its_sign_in_on_the_primary(
    clients: dict[str, httpx.Client], keys: dict[str, str], database_url: str, replica_url: str, paused: None
) -> None:
    """A key revoked a moment ago ends its desk sessions at once, though the replica has not replayed it."""
    from api.services.auth import revoke_key

    desk = _desk(clients, keys["analyst"])
    _wait_for_catch_up(database_url, replica_url)
    assert desk.get("/claims").headers["X-Claimdb-Served-By"] == "replica"
    _pause(replica_url)
    database = clients["anonymous"].app.state.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        revoke_key(session, keys["analyst"].split("_")[1])
    refused = desk.get("/claims")
    assert (refused.status_code, refused.headers["X-Claimdb-Served-By"]) == (303, "replica")
    assert refused.headers["location"].startswith("/signin")


@pytest.mark.parametrize("clients", ["postgresql+psycopg://postgres@127.0.0.1:9/claimdb_ci"], indirect=True)
def test_a_replica_that_is_down_is_skipped_and_health_says_so(clients: dict[str, httpx.Client]) -> None:
    analyst = clients["analyst"]
    source = analyst.post("/v1/sources", json={"name": "General Staff", "kind": "military"})
    token = {"X-Claimdb-Read-After": source.headers["X-Claimdb-Commit-LSN"]}
    for _ in range(4):
        read = analyst.get(f"/v1/sources/{source.json()['id']}/claims", headers=token)
        assert (read.status_code, read.headers["X-Claimdb-Served-By"]) == (200, "replica")
    health = clients["anonymous"].get("/health")
    assert health.status_code == 200, health.text
    down, up = health.json()["replicas"]
    assert down == {"name": "127.0.0.1:9/claimdb_ci", "up": False}
    assert up["up"] is True
    assert isinstance(up["lag_bytes"], int) and up["lag_bytes"] >= 0


def test_only_a_replica_that_is_down_leaves_the_primary_to_answer(
    database_url: str, keys: dict[str, str], replica_url: str
) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        read_replica_urls="postgresql+psycopg://postgres@127.0.0.1:9/claimdb_ci",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        read = client.get("/v1/claims", headers={"Authorization": f"Bearer {keys['viewer']}"})
        assert (read.status_code, read.headers["X-Claimdb-Served-By"]) == (200, "primary")
        token_read = client.get(
            "/v1/claims", headers={"Authorization": f"Bearer {keys['viewer']}", "X-Claimdb-Read-After": "0/1"}
        )
        assert (token_read.status_code, token_read.headers["X-Claimdb-Served-By"]) == (200, "primary")


@pytest.mark.slow
def test_the_chain_stays_whole_under_concurrent_writes_read_through_the_replica(
    database_url: str, replica_url: str, keys: dict[str, str], tmp_path: Path
) -> None:
    _wait_for_catch_up(database_url, replica_url)
    server = ServerProcess(
        database_url, tmp_path / "server.log", keys, {"CLAIMDB_READ_REPLICA_URLS": replica_url}, workers=2
    )
    server.start()
    try:
        with server.client("analyst") as analyst:
            source_id = make_source(analyst)["id"]
        tokens: list[str] = []
        lock = threading.Lock()

        def write() -> None:
            with server.client("analyst") as client:
                for _ in range(15):
                    posted = client.post("/v1/claims", json=_body(source_id))
                    assert posted.status_code == 201, posted.text
                    token = posted.headers["X-Claimdb-Commit-LSN"]
                    read = client.get(f"/v1/claims/{posted.json()['id']}", headers={"X-Claimdb-Read-After": token})
                    assert read.status_code == 200, read.text
                    with lock:
                        tokens.append(posted.headers["X-Claimdb-Commit-LSN"])

        threads = [threading.Thread(target=write) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(tokens) == 90
        latest = max(tokens, key=lambda lsn: (int(lsn.split("/")[0], 16), int(lsn.split("/")[1], 16)))
        with server.client("viewer") as viewer:
            verdict = viewer.get("/v1/audit/verify", headers={"X-Claimdb-Read-After": latest})
        assert verdict.json()["ok"] is True, verdict.json()
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()
