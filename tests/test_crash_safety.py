"""A server killed with SIGKILL mid-stream loses no acknowledged write and leaves the ledger whole."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.database import Database
from tests.server import ServerProcess

WRITERS = 4


def _writer(server: ServerProcess, source_id: str, stop: threading.Event, acknowledged: list[dict[str, Any]]) -> None:
    """Post claims and move each to under_review until the server dies; remember every 2xx."""
    with server.client("analyst") as client:
        while not stop.is_set():
            try:
                posted = client.post(
                    "/v1/claims",
                    json={
                        "statement": "Shelling reported near Kupiansk.",
                        "source_id": source_id,
                        "channel": "telegram",
                        "stated_at": "2022-09-10T06:00:00Z",
                    },
                )
                if posted.status_code != 201:
                    assert posted.status_code < 500, posted.text
                    continue
                claim = posted.json()
                acknowledged.append({"kind": "claim", "id": claim["id"]})
                moved = client.post(
                    f"/v1/claims/{claim['id']}/status",
                    json={"status": "under_review", "rationale": "checking"},
                    headers={"If-Match": '"1"'},
                )
                if moved.status_code == 200:
                    acknowledged.append({"kind": "status", "id": claim["id"]})
                else:
                    assert moved.status_code < 500, moved.text
            except httpx.TransportError:
                return


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_write(server: ServerProcess, database: Database) -> None:
    with server.client("analyst") as client:
        source = client.post("/v1/sources", json={"name": "Kupiansk garrison", "kind": "military"})
        assert source.status_code == 201
        source_id = source.json()["id"]
    stop = threading.Event()
    acknowledged: list[dict[str, Any]] = []
    threads = [threading.Thread(target=_writer, args=(server, source_id, stop, acknowledged)) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 10, "the stream should have made progress before the kill"

    server.start()
    with server.client("viewer") as client:
        for write in acknowledged:
            claim = client.get(f"/v1/claims/{write['id']}")
            assert claim.status_code == 200, write
            if write["kind"] == "status":
                assert claim.json()["status"] == "under_review"
        verdict = client.get("/v1/audit/verify").json()
        assert verdict["ok"] is True, verdict
    with database.read_engine.connect() as connection:
        claims_without_created = connection.execute(
            text(
                "SELECT count(*) FROM claims c WHERE NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.claim_id = c.id AND e.type = 'claim.created')"
            )
        ).scalar()
        events_without_claim = connection.execute(
            text(
                "SELECT count(*) FROM events e WHERE e.claim_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM claims c WHERE c.id = e.claim_id)"
            )
        ).scalar()
        status_mismatch = connection.execute(
            text(
                "SELECT count(*) FROM claims c WHERE c.status <> (SELECT e.to_status FROM events e "
                "WHERE e.claim_id = c.id AND e.to_status IS NOT NULL ORDER BY e.seq DESC LIMIT 1)"
            )
        ).scalar()
    assert claims_without_created == 0
    assert events_without_claim == 0
    assert status_mismatch == 0
