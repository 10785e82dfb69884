"""Builders for test data, through the HTTP API like any client."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import orjson
from sqlalchemy import text

from api.database import Database

_sequence = itertools.count(1)


def make_source(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Source {next(_sequence)}", "kind": "military", **fields}
    response = client.post("/v1/sources", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_place(client: httpx.Client, name: str, kind: str = "settlement", **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/places", json={"name": name, "kind": kind, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_claim(client: httpx.Client, source_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "statement": f"Claim number {next(_sequence)} about the front.",
        "source_id": source_id,
        "channel": "statement",
        "stated_at": "2022-05-14T09:00:00+00:00",
        **fields,
    }
    response = client.post("/v1/claims", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def move(client: httpx.Client, claim: dict[str, Any], status: str, **fields: Any) -> httpx.Response:
    """POST a status change with the claim's current version as If-Match."""
    current = client.get(f"/v1/claims/{claim['id']}")
    return client.post(
        f"/v1/claims/{claim['id']}/status",
        json={"status": status, "rationale": f"moving to {status}", **fields},
        headers={"If-Match": current.headers["ETag"]},
    )


def make_document(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    number = next(_sequence)
    body = {"title": f"Report number {number}", "url": f"https://example.org/report/{number}", **fields}
    response = client.post("/v1/documents", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def add_evidence(
    client: httpx.Client, claim: dict[str, Any], provider_id: str, stance: str = "supports", **fields: Any
) -> dict[str, Any]:
    """POST an evidence item provided by `provider_id` (whose party decides whether it is independent)."""
    body = {
        "stance": stance,
        "kind": "document",
        "url": f"https://example.org/evidence/{next(_sequence)}",
        "provided_by_source_id": provider_id,
        **fields,
    }
    response = client.post(f"/v1/claims/{claim['id']}/evidence", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def amend(client: httpx.Client, claim: dict[str, Any], **fields: Any) -> httpx.Response:
    """PATCH a claim with its current version as If-Match."""
    current = client.get(f"/v1/claims/{claim['id']}")
    return client.patch(f"/v1/claims/{claim['id']}", json=fields, headers={"If-Match": current.headers["ETag"]})


def events_of(client: httpx.Client, claim_id: str, event_type: str | None = None) -> list[dict[str, Any]]:
    """The claim's ledger events (optionally of one type), oldest first, from /v1/audit."""
    params = {"claim": claim_id, "limit": 500, **({"type": event_type} if event_type else {})}
    response = client.get("/v1/audit", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def history_of(client: httpx.Client, claim_id: str) -> list[dict[str, Any]]:
    """Every event of the claim's history, oldest first, read page by page."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/v1/claims/{claim_id}/history", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return events


# ---- claims in and out -----------------------------------------------------------------------------------

STATED = "2022-05-14T09:00:00+00:00"


def ndjson(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def minimal(number: int, source: str = "General Staff", kind: str = "military", **fields: Any) -> dict[str, Any]:
    return {
        "statement": f"Claim {number}: the front moved.",
        "source": {"name": source, "kind": kind},
        "channel": "update",
        "stated_at": STATED,
        **fields,
    }


def post_import(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/v1/import", content=body, headers={"Content-Type": "application/x-ndjson"})


def export(client: httpx.Client, **params: Any) -> httpx.Response:
    return client.get("/v1/export/claims", params=params)


def export_lines(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = export(client, format="ndjson", **params)
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.content.splitlines()]


def counts(database: Database) -> dict[str, int]:
    with database.transaction(write=False) as session:
        return {
            table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("claims", "sources", "source_names", "documents", "events", "claim_places")
        }


def chain_ok(client: httpx.Client) -> bool:
    return bool(client.get("/v1/audit/verify").json()["ok"])
