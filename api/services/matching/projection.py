"""The candidates as the scorer reads them: each claim's statement, language, places' names, time and source, read
by the candidate statement itself (`index.candidates`).

The scorer needs only these to score a candidate; reading every candidate in the full claim shape
(`describe_current`: three statements, the names it refers to, the shaping) cost a third of a post's `similar`,
most of it for candidates that scored under the threshold and were never answered. The matcher scores this
projection and reads only the candidates it answers in the claim shape. `tests/test_matching.py` holds the
projection equal to those fields of `describe_current`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect, String, column

from api.services.claims.reading import IdReader
from models.base import UTCDateTime


@dataclass(frozen=True)
class Recorded:
    """A recorded claim as the scorer reads it; `raw_id` is its id in the driver's form (`describe_current`'s)."""

    raw_id: Any
    id_text: str
    statement: str
    language: str | None
    places: tuple[str, ...]
    stated_at: datetime
    source_id: uuid.UUID


# What the candidate statement (`index.candidates`) answers of each of its best claims, joined to `ranked` (their
# ids and weights, best first): one row per place, in the place's order, one row with no place for a claim without.
PROJECTED = (
    "SELECT ranked.claim_id, claims.statement, claims.language, claims.stated_at, claims.source_id, "
    "claim_places.name FROM ranked JOIN claims ON claims.id = ranked.claim_id "
    "LEFT JOIN claim_places ON claim_places.claim_id = ranked.claim_id "
    "ORDER BY ranked.weight DESC, ranked.claim_id, claim_places.position"
)
# Ids are read raw (32-hex text on SQLite, a uuid from psycopg), the time by its column's own type.
COLUMNS = (
    column("claim_id", String()),
    column("statement", String()),
    column("language", String()),
    column("stated_at", UTCDateTime()),
    column("source_id", String()),
    column("name", String()),
)


def from_rows(dialect: Dialect, rows: list[Any]) -> list[Recorded]:
    """The claims of `PROJECTED`'s rows, in their order."""
    fields: dict[Any, tuple[Any, ...]] = {}
    places: dict[Any, list[str]] = {}
    for raw_id, statement, language, stated_at, raw_source_id, place in rows:
        if raw_id not in fields:
            fields[raw_id] = (statement, language, stated_at, raw_source_id)
            places[raw_id] = []
        if place is not None:
            places[raw_id].append(place)
    ids = IdReader(dialect)
    found = []
    for raw_id, (statement, language, stated_at, raw_source_id) in fields.items():
        id_text = ids.text(raw_id)
        assert id_text is not None
        found.append(
            Recorded(
                raw_id, id_text, statement, language, tuple(places[raw_id]), stated_at, ids.required(raw_source_id)
            )
        )
    return found
