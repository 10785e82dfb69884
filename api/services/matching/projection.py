"""The candidates as the scorer reads them: each claim's statement, language, places' names, time and source, in
one narrow statement.

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

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.services.claims.reading import IdReader, binds_id_array, ids_in, raw_column
from api.services.driver_reads import prebuilt_rows
from models import Claim, ClaimPlace


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


def _statement(array: bool) -> Select[Any]:
    claims, places = Claim.__table__, ClaimPlace.__table__
    return (
        select(
            raw_column(claims.c.id),
            claims.c.statement,
            claims.c.language,
            claims.c.stated_at,
            raw_column(claims.c.source_id),
            places.c.name,
        )
        .select_from(claims.outerjoin(places, places.c.claim_id == claims.c.id))
        .where(ids_in(claims.c.id, array))
        .order_by(places.c.position)
    )


# Built once for each way of binding the ids (one array on PostgreSQL, an expanding list on SQLite).
_STATEMENTS = {array: _statement(array) for array in (False, True)}


def recorded(session: Session, raw_ids: list[Any]) -> list[Recorded]:
    """The claims of `raw_ids` as the scorer reads them, in the order given (those that exist)."""
    if not raw_ids:
        return []
    session.flush()  # Core statements do not autoflush; what this transaction wrote must be seen
    connection = session.connection()
    ids = IdReader(connection.dialect)
    rows: dict[Any, tuple[Any, ...]] = {}
    places: dict[Any, list[str]] = {raw_id: [] for raw_id in raw_ids}
    statement = _STATEMENTS[binds_id_array(connection.dialect)]
    for raw_id, text, language, stated_at, raw_source_id, place in prebuilt_rows(
        connection, statement, {"claim_ids": raw_ids}
    ):
        rows[raw_id] = (text, language, stated_at, raw_source_id)
        if place is not None:
            places[raw_id].append(place)
    found = []
    for raw_id in raw_ids:
        if raw_id in rows:
            text, language, stated_at, raw_source_id = rows[raw_id]
            id_text = ids.text(raw_id)
            assert id_text is not None
            found.append(
                Recorded(raw_id, id_text, text, language, tuple(places[raw_id]), stated_at, ids.required(raw_source_id))
            )
    return found
