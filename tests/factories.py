"""Builders for test data, through the HTTP API like any client."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

_sequence = itertools.count(1)


def make_source(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Source {next(_sequence)}", "kind": "military", **fields}
    response = client.post("/v1/sources", json=body)
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
