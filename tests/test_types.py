"""Column types read back exactly what they wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from models.base import UTCDateTime

DIALECT = sqlite.dialect()


def _generic_read(text: str | None) -> datetime | None:
    """What SQLAlchemy's own SQLite parser and `process_result_value` make of the text, step by step."""
    parse = DateTime(timezone=True).dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert parse is not None
    return UTCDateTime().process_result_value(parse(text), DIALECT)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2022, 5, 14, 10, 30, tzinfo=UTC),
        datetime(2022, 5, 14, 10, 30, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2024, 2, 29, 0, 0, tzinfo=UTC) + timedelta(microseconds=123_456),
        datetime(2022, 5, 14, 13, 30, tzinfo=UTC).astimezone(),  # a local time is stored as its UTC instant
    ],
)
def test_sqlite_timestamps_read_back_as_written(instant: datetime) -> None:
    column_type = UTCDateTime()
    write = column_type.dialect_impl(DIALECT).bind_processor(DIALECT)
    read = column_type.dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert write is not None and read is not None
    text = write(instant)
    value = read(text)
    assert value == instant
    assert value is not None and value.tzinfo is UTC
    assert value == _generic_read(text)


@pytest.mark.parametrize(
    "text",
    [None, "2022-05-14 10:30:00", "2022-05-14 10:30:00.5", "2022-05-14 10:30:00.123", "2022-05-14 10:30:00.000001"],
)
def test_sqlite_timestamp_text_of_other_shapes_reads_as_sqlalchemy_reads_it(text: str | None) -> None:
    read = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert read is not None
    assert read(text) == _generic_read(text)
