"""Helpers every service shares."""

from __future__ import annotations

from collections.abc import Callable

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
