"""Helpers every service shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Dialect, String, cast, func, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import DomainError


def insert_unique(session: Session, write: Callable[[], None], explain: Callable[[], DomainError | None]) -> None:
    """Run `write` and let the database's unique constraints decide; a clash becomes `explain()`'s error.

    `write` adds ORM objects or runs Core inserts. It runs inside a savepoint so that, after a clash, the
    transaction is still usable for the query that explains it. Anything already pending is flushed first,
    outside the savepoint.
    """
    session.flush()
    try:
        with session.begin_nested():
            write()
            session.flush()
    except IntegrityError:
        error = explain()
        if error is None:
            raise
        raise error from None


def id_as_text(dialect: Dialect, column: Any) -> Any:
    """A UUID column read as lower-case hyphenated text, converted by the database itself.

    For reads of millions of rows (verification): a UUID object made per value, and turned back into text to
    be hashed or compared with an event's payload, is most of the cost of reading them. SQLite keeps 32 hex
    digits; PostgreSQL casts its uuid type.
    """
    if dialect.name != "sqlite":
        return cast(column, String).label(column.key)
    stored = type_coerce(column, String)
    parts = [func.substr(stored, start, length) for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
    return func.lower(parts[0] + "-" + parts[1] + "-" + parts[2] + "-" + parts[3] + "-" + parts[4]).label(column.key)
