"""Parties: a source's party is the root of its parent tree (DESIGN §2). Independence of evidence compares
parties, so everything that asks "who speaks for whom" walks the tree here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session, aliased

from api.services.driver_reads import binds_id_array, ids_in, prebuilt_rows, to_raw_ids
from models import Source


def ancestors(session: Session, source_id: uuid.UUID) -> list[uuid.UUID]:
    """The source's id followed by each parent up to its party (the root)."""
    up = (
        select(Source.id, Source.parent_id, literal(0).label("depth"))
        .where(Source.id == source_id)
        .cte("up", recursive=True)
    )
    parent = aliased(Source)
    up = up.union_all(
        select(parent.id, parent.parent_id, (up.c.depth + 1).label("depth"))
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < 100)
    )
    return list(session.scalars(select(up.c.id).order_by(up.c.depth)))


def _parties_statement(array: bool) -> Any:
    start = select(
        Source.id.label("start_id"), Source.id, Source.parent_id, Source.name, literal(0).label("depth")
    ).where(ids_in(Source.id, array, "ids"))
    up = start.cte("up", recursive=True)
    parent = aliased(Source)
    up = up.union_all(
        select(up.c.start_id, parent.id, parent.parent_id, parent.name, (up.c.depth + 1).label("depth"))
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < 100)
    )
    return select(up.c.start_id, up.c.id, up.c.name).where(up.c.parent_id.is_(None))


# Built once for each way of binding the ids: constructing the recursive CTE and its alias cost more than running it
# (every match asks). On PostgreSQL the ids are one array, so the text is the same for any number of sources and
# psycopg prepares it once per connection: with an `IN` list of the sources a match answers, each count was a
# statement of its own, planned anew, and the walk cost a post's `similar` 0.6 ms (bench/README.md).
_PARTIES_QUERIES = {array: _parties_statement(array) for array in (False, True)}


def _party_rows(session: Session, source_ids: Iterable[uuid.UUID]) -> list[Any]:
    """(source id, its party's id, the party's name) for each source. On the driver's cursor
    (`driver_reads.prebuilt_rows`): SQLAlchemy's execution of the prebuilt statement cost more than the query
    (every match and every post's `similar` asks)."""
    ids = list(set(source_ids))
    if not ids:
        return []
    session.flush()  # Core statements do not autoflush; a source this transaction wrote must be seen
    connection = session.connection()
    statement = _PARTIES_QUERIES[binds_id_array(connection.dialect)]
    return prebuilt_rows(connection, statement, {"ids": to_raw_ids(connection.dialect, ids)})


def parties(session: Session, source_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each source's party: the root of its parent tree (DESIGN §2)."""
    return {start_id: root_id for start_id, root_id, _name in _party_rows(session, source_ids)}


def parties_named(
    session: Session, source_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, str]]:
    """Each source's party, and each party's name, in one query."""
    party_of: dict[uuid.UUID, uuid.UUID] = {}
    names: dict[uuid.UUID, str] = {}
    for start_id, root_id, name in _party_rows(session, source_ids):
        party_of[start_id] = root_id
        names[root_id] = name
    return party_of, names


def descendants(session: Session, source_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The given sources and every source below them in the parent tree."""
    ids = list(set(source_ids))
    if not ids:
        return set()
    down = select(Source.id, literal(0).label("depth")).where(Source.id.in_(ids)).cte("down", recursive=True)
    child = aliased(Source)
    down = down.union_all(
        select(child.id, (down.c.depth + 1).label("depth"))
        .join(down, child.parent_id == down.c.id)
        .where(down.c.depth < 100)
    )
    return set(session.scalars(select(down.c.id)))
