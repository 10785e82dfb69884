"""Helpers every service shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import DomainError


def insert_unique(
    session: Session, rows: Iterable[Any] | Callable[[], None], explain: Callable[[], DomainError | None]
) -> None:
    """Insert rows and let the database's unique constraints decide; a clash becomes `explain()`'s error.

    `rows` are ORM objects to add, or a function that writes them with Core statements. They are written
    inside a savepoint so that, after a clash, the transaction is still usable for the query that explains
    it. Anything already pending is flushed first, outside the savepoint.
    """
    session.flush()
    try:
        with session.begin_nested():
            if callable(rows):
                rows()
            else:
                session.add_all(rows)
            session.flush()
    except IntegrityError:
        error = explain()
        if error is None:
            raise
        raise error from None
