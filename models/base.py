"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Dialect, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names make migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_SQLITE_DATETIME_LENGTH = len("2024-05-01 12:00:00.123456")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both engines.

    SQLite has no timezone type: values are stored as naive UTC text and read back as aware UTC,
    so the same instant compares and hashes identically on either engine.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC timestamp is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None] | None:
        generic = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or generic is None:
            return generic

        # SQLite returns the naive UTC text this type wrote, "2024-05-01 12:00:00.123456". Read as ISO 8601 with
        # the offset appended, it gives the same aware value as `process_result_value` at a sixth of the cost
        # (`datetime.replace` alone costs more), and a page of claims reads hundreds of timestamps. Text of
        # any other shape takes the generic path, so nothing is read differently.
        def naive_utc_text(value: Any) -> datetime | None:
            if type(value) is str and len(value) == _SQLITE_DATETIME_LENGTH and value[10] == " ":
                return datetime.fromisoformat(value + "+00:00")
            return generic(value)

        return naive_utc_text


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
    }


def utc_now() -> datetime:
    return datetime.now(UTC)


# What the database keeps for itself, created by migrations but not mapped: SQLite's FTS5 index of claims,
# PostgreSQL's search document (a generated column) with its GIN index, and the index of event windows' lengths
# (an expression in each engine's own date arithmetic, migration 0011). The code never writes them, and
# schema comparison must not report them as drift.
UNMAPPED_NAME_PREFIXES = ("claims_fts", "ix_claims_search", "ix_claims_event_length")
UNMAPPED_COLUMNS = frozenset({"search_vector"})


def is_mapped_table(name: str | None) -> bool:
    return name is None or not name.startswith(UNMAPPED_NAME_PREFIXES)


def include_in_autogenerate(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` hook: everything but the search structures above."""
    if type_ == "column":
        return name not in UNMAPPED_COLUMNS
    return type_ not in ("table", "index") or is_mapped_table(name)
