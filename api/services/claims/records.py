"""A claim's record as table rows and as ledger payloads: the one builder every writer of claims uses.

`POST /v1/claims` (writing.py), the bulk import (api/services/importing.py) and bench/fill.py build their rows and
their `claim.created` / `claim.imported` payloads here. The as-of rebuild (history.py) and the verification replay
(api/services/replay.py) read those payloads back, so a field added here reaches every writer and reader at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from api.services.names import name_key

# The fields that make up what was recorded: fixed at creation, changed only by an amendment event.
RECORDED_FIELDS = (
    "statement",
    "quote",
    "source_id",
    "speaker_id",
    "channel",
    "channel_detail",
    "document_id",
    "via",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "event_precision",
    "places",
    "tags",
    "language",
    "external_id",
)
ID_FIELDS = ("source_id", "speaker_id", "document_id")
TIME_FIELDS = ("stated_at", "event_start", "event_end")
# The recorded fields kept as columns of `claims`; places, tags and intermediaries have tables of their own.
COLUMN_FIELDS = tuple(name for name in RECORDED_FIELDS if name not in ("via", "places", "tags"))


def place_state(value: Any) -> dict[str, Any]:
    """A claim's place as states and payloads hold it: `{"name","place_id","precision","candidates","lat","lon",
    "admin1_code"}` (`place_id` as text). Payloads written before places were records hold the name alone."""
    if isinstance(value, str):
        return {"name": value, "place_id": None, "precision": None, "candidates": [], "lat": None, "lon": None,
                "admin1_code": None}  # fmt: skip
    place_id = value.get("place_id")
    return {
        "name": value["name"],
        "place_id": str(place_id) if place_id is not None else None,
        "precision": _plain(value.get("precision")),
        "candidates": list(value.get("candidates") or []),
        "lat": value.get("lat"),
        "lon": value.get("lon"),
        "admin1_code": value.get("admin1_code"),
    }


def place_names(places: Any) -> list[str]:
    """The names as written of a claim's places, whichever form they are held in."""
    return [
        item if isinstance(item, str) else item["name"] if isinstance(item, Mapping) else item.name for item in places
    ]


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def to_payload(state: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of recorded fields (ids as strings, times as ISO 8601 UTC, vocabulary as values)."""
    payload: dict[str, Any] = {}
    for name, value in state.items():
        if name in ID_FIELDS:
            payload[name] = str(value) if value is not None else None
        elif name in TIME_FIELDS:
            payload[name] = value.astimezone(UTC).isoformat() if value is not None else None
        elif name == "via":
            payload[name] = [str(item) for item in value]
        elif name == "places":
            payload[name] = [place_state(item) for item in value]
        else:
            payload[name] = _plain(value)
    return payload


def from_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded fields read back from a payload: ids as UUIDs, times as aware datetimes."""
    state: dict[str, Any] = {}
    for name, value in payload.items():
        if name in ID_FIELDS:
            state[name] = uuid.UUID(value) if value is not None else None
        elif name in TIME_FIELDS:
            state[name] = datetime.fromisoformat(value) if value is not None else None
        elif name == "via":
            state[name] = [uuid.UUID(item) for item in value]
        elif name == "places":
            state[name] = [place_state(item) for item in value]
        else:
            state[name] = value
    return state


def place_rows(claim_id: uuid.UUID, places: list[Any]) -> list[dict[str, Any]]:
    """The `claim_places` rows of a claim's places (names alone, or `place_state`'s form)."""
    rows = []
    for index, item in enumerate(places):
        place = place_state(item)
        rows.append(
            {
                "claim_id": claim_id,
                "position": index,
                "name": place["name"],
                "name_key": name_key(place["name"]),
                "place_id": uuid.UUID(place["place_id"]) if place["place_id"] else None,
                "geo_precision": place["precision"],
                "candidates": place["candidates"] or None,
                "lat": place["lat"],
                "lon": place["lon"],
                "admin1_code": place["admin1_code"],
            }
        )
    return rows


def tag_rows(claim_id: uuid.UUID, tags: list[str]) -> list[dict[str, Any]]:
    return [
        {"claim_id": claim_id, "position": index, "tag": tag, "tag_key": name_key(tag)}
        for index, tag in enumerate(tags)
    ]


def via_rows(claim_id: uuid.UUID, via: list[uuid.UUID]) -> list[dict[str, Any]]:
    return [{"claim_id": claim_id, "position": index, "source_id": source_id} for index, source_id in enumerate(via)]


@dataclass(frozen=True)
class ClaimRows:
    """The rows one claim is stored as: its `claims` row and its places, tags and intermediaries, in order."""

    claim: dict[str, Any]
    places: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    via: list[dict[str, Any]]


def claim_rows(
    claim_id: uuid.UUID,
    recorded: Mapping[str, Any],
    *,
    created_by_id: uuid.UUID | None,
    created_at: datetime,
    status: str,
    status_changed_at: datetime,
    seconds_to_first_review: float | None = None,
) -> ClaimRows:
    """The rows of a claim recorded with the `recorded` fields (all of `RECORDED_FIELDS`)."""
    claim = {
        "id": claim_id,
        **{name: _plain(recorded[name]) for name in COLUMN_FIELDS},
        "created_by_id": created_by_id,
        "created_at": created_at,
        "status": status,
        "status_changed_at": status_changed_at,
        "seconds_to_first_review": seconds_to_first_review,
        "version": 1,
    }
    return ClaimRows(
        claim,
        place_rows(claim_id, list(recorded["places"])),
        tag_rows(claim_id, list(recorded["tags"])),
        via_rows(claim_id, list(recorded["via"])),
    )


def created_payload(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of `claim.created`: the whole record."""
    return {"claim": to_payload({name: recorded[name] for name in RECORDED_FIELDS})}


def imported_payload(
    recorded: Mapping[str, Any], *, status: str, status_changed_at: datetime, basis: dict[str, Any] | None
) -> dict[str, Any]:
    """The payload of `claim.imported`: the whole record, the status it arrived with and, for a reviewed status,
    the verdict's basis (`verdicts.basis_payload`)."""
    payload: dict[str, Any] = {
        **created_payload(recorded),
        "status": status,
        "status_changed_at": status_changed_at.astimezone(UTC).isoformat(),
        "created_by_id": None,
    }
    if basis is not None:
        payload["basis"] = basis
    return payload
