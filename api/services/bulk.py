"""Bulk inserts for large writes (import): `COPY` on PostgreSQL, one Core `executemany` elsewhere.

psycopg runs `executemany` as one statement per row (pipelined); `COPY ... FROM STDIN` streams the rows in one
statement, several times faster. Triggers and constraints apply to both alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

# Below this many rows a plain INSERT is as quick, and it is the path every single-event request takes.
COPY_FROM_ROWS = 50


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `table`, in the session's transaction."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    # COPY bypasses SQLAlchemy's types: JSON is serialised here; UUIDs and aware datetimes psycopg adapts itself.
    convert: list[Callable[[Any], Any] | None] = [
        _json_text if isinstance(table.c[name].type, JSON) else None for name in columns
    ]
    quoted = ", ".join(f'"{name}"' for name in columns)
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    row[name] if to_text is None else to_text(row[name])
                    for name, to_text in zip(columns, convert, strict=True)
                ]
            )
