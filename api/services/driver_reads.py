"""Reading rows through the database driver itself: a full verification's millions of rows, and (`prebuilt_rows`,
below) the statements every claim read runs.

A full verification reads every event and every row the API serves from (2.3 M events and about 5 M other rows
at 1,000,000 claims). Through SQLAlchemy's results each row costs several microseconds (result rows, type
processors, a UUID object per id), which was most of the time. Here a statement, built with SQLAlchemy so
that it is portable, is compiled once and run on the driver's own cursor; rows come back as the driver's
tuples. Ids stay in the driver's text form (`key`): 32 hex digits on SQLite, which stores them so, and the
hyphenated text PostgreSQL's cast gives. Event payloads and what they name are turned into that form instead,
which costs far less than the other way round. `tests/test_replay.py` proves these reads equal the plain ones.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Connection,
    Dialect,
    Select,
    String,
    TextualSelect,
    Uuid,
    any_,
    bindparam,
    cast,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import TypeEngine

# The naive UTC text SQLite holds for a timestamp: "2024-05-01 12:00:00.123456" (models/base.py).
_SQLITE_TEXT_LENGTH = len("2024-05-01 12:00:00.123456")


class DriverReader:
    """Runs statements on the session's own connection, in its transaction (and so its snapshot)."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.dialect = connection.dialect
        self.is_sqlite = self.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        assert driver is not None
        self._driver: Any = driver
        # By the statement's identity; the statement is kept too, so that its id cannot be reused meanwhile.
        self._compiled: dict[int, tuple[Select[Any], Any, str]] = {}

    def id_column(self, column: Any) -> Any:
        """A UUID column as the text `key` compares: SQLite's stored hex, PostgreSQL's uuid cast to text."""
        text = type_coerce(column, String) if self.is_sqlite else cast(column, String)
        return text.label(column.key)

    def key(self, value: Any) -> str | None:
        """An id (a UUID, or text as payloads hold it) in this engine's `id_column` form."""
        if value is None:
            return None
        if isinstance(value, uuid.UUID):
            return value.hex if self.is_sqlite else str(value)
        text = str(value).lower()
        return text.replace("-", "") if self.is_sqlite else text

    def shown(self, key: Any) -> Any:
        """A key as people read ids: hyphenated."""
        if isinstance(key, str) and self.is_sqlite and len(key) == 32:
            try:
                return str(uuid.UUID(key))
            except ValueError:
                return key
        return key

    def time(self, value: Any) -> datetime | None:
        """A timestamp as the driver returns it, aware and in UTC (SQLite returns the naive UTC text it keeps)."""
        if value is None or isinstance(value, datetime):
            return value
        if type(value) is str and len(value) == _SQLITE_TEXT_LENGTH and value[10] == " ":
            # SQLite's own text; with the offset appended, read at a sixth of the cost of `replace(tzinfo=…)`.
            return datetime.fromisoformat(value + "+00:00")
        moment = datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment

    def hyphenated(self, key: str | None) -> str | None:
        """A `key` as canonical UUID text (what event hashes cover), without making a UUID."""
        if key is None or not self.is_sqlite:
            return key
        if len(key) != 32:
            return str(uuid.UUID(key))  # not this database's own form: let uuid say what it is, or fail
        return f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:]}"

    def iso_utc(self, value: Any) -> str:
        """A timestamp as ISO 8601 in UTC with microseconds and `+00:00` (what event hashes cover)."""
        if type(value) is str and len(value) == _SQLITE_TEXT_LENGTH and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"  # SQLite's own naive UTC text, converted by hand
        return self.required_time(value).astimezone(UTC).isoformat(timespec="microseconds")

    def required_time(self, value: Any) -> datetime:
        """`time` of a column that is never NULL."""
        moment = self.time(value)
        assert moment is not None
        return moment

    def rows(self, statement: Select[Any], params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The statement's rows as the driver's tuples; `params` bind by name, ids given as `key`s."""
        cached = self._compiled.get(id(statement))
        if cached is None:
            # IN lists are the statement's own constants (event types), rendered into it once.
            compiled = statement.compile(dialect=self.dialect, compile_kwargs={"render_postcompile": True})
            cached = (statement, compiled, str(compiled))
            self._compiled[id(statement)] = cached
        _statement, compiled, sql = cached
        values = {**compiled.params, **(params or {})}
        arguments: Any = [values[name] for name in compiled.positiontup or ()] if compiled.positional else values
        cursor = self._driver.cursor()
        try:
            cursor.execute(sql, arguments)
            return list(cursor.fetchall())
        finally:
            cursor.close()


# ---- prebuilt statements on the request path ----------------------------------------------------------------

Prebuilt = Select[Any] | CompoundSelect[Any] | TextualSelect


class _Prepared:
    """A prebuilt statement compiled for one dialect and one length of each list it binds, and the result
    processors of its columns (found on the first run, from the driver's own column types)."""

    __slots__ = ("constants", "order", "processors", "sql", "statement")

    def __init__(self, statement: Prebuilt, sql: str, order: tuple[str, ...] | None, constants: dict[str, Any]):
        self.statement = statement  # kept, so that the id it is cached by is never reused
        self.sql = sql
        self.order = order
        self.constants = constants
        self.processors: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None


_PREPARED: dict[tuple[int, str, tuple[tuple[str, int], ...]], _Prepared] = {}
# Lists of up to MAX_LIMIT + 1 ids for each of a few statements on two engines: far under this.
_PREPARED_LIMIT = 8192


def _prepare(statement: Prebuilt, dialect: Dialect, lists: tuple[tuple[str, int], ...]) -> _Prepared:
    key = (id(statement), dialect.name, lists)
    prepared = _PREPARED.get(key)
    if prepared is not None and prepared.statement is statement:
        return prepared
    # Expanding IN lists rendered for this many values, named `<name>_1` … `<name>_<n>` (SQLAlchemy's own names);
    # a parameter given no value where it is built (a textual statement's) gets a placeholder to compile with.
    unvalued = {name for name, bind in statement.compile().binds.items() if bind.required and not bind.expanding}
    placeholders: dict[str, Any] = {name: None for name in unvalued}
    sized = statement.params({**placeholders, **{name: [None] * length for name, length in lists}})
    compiled = sized.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    expanded = {f"{name}_{index}" for name, length in lists for index in range(1, length + 1)}
    constants = {
        name: value for name, value in compiled.params.items() if name not in expanded and name not in unvalued
    }
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    prepared = _Prepared(statement, str(compiled), order, constants)
    if len(_PREPARED) >= _PREPARED_LIMIT:
        _PREPARED.clear()
    _PREPARED[key] = prepared
    return prepared


_EXPANDING: dict[int, tuple[Prebuilt, frozenset[str]]] = {}


def _expanding_names(statement: Prebuilt) -> frozenset[str]:
    """The names of the statement's expanding parameters (an `IN` list each); any other parameter, a list
    included (an array on PostgreSQL), is bound as one value."""
    cached = _EXPANDING.get(id(statement))
    if cached is not None and cached[0] is statement:
        return cached[1]
    names = frozenset(name for name, bind in statement.compile().binds.items() if bind.expanding)
    _EXPANDING[id(statement)] = (statement, names)
    return names


def _as_given(value: Any) -> Any:
    return value


@functools.cache
def driver_binder(dialect: Dialect, type_: type[TypeEngine[Any]]) -> Callable[[Any], Any]:
    """Turns a value of `type_` into the form the driver binds it, by the type's own conversion for this dialect
    (a UTC time: SQLite's naive text). Looked up once per dialect and type: building the processor cost more than
    converting a request's few values."""
    process = type_().dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _as_given


def to_raw_ids(dialect: Dialect, ids: list[uuid.UUID]) -> list[Any]:
    """UUIDs in the form the driver reads and binds them, by the `Uuid` type's own conversion for this dialect
    (the converse of `claims.reading.IdReader`): 32-hex text on SQLite, the uuid itself on PostgreSQL."""
    to_raw = driver_binder(dialect, Uuid)
    return [to_raw(value) for value in ids]


def prebuilt_rows(connection: Connection, statement: Prebuilt, params: Mapping[str, Any]) -> list[Any]:
    """The rows of a statement built once (a module's constant), run on the connection's own driver cursor, in
    its transaction: compiled once per dialect and per length of each list it binds, its columns converted by
    their types' own result processors, as SQLAlchemy's results would convert them, without the rest of its
    execution pipeline (cache keys, parameter processing, result rows), which cost more than the queries of a
    page. A list bound to an expanding parameter (`bindparam(..., expanding=True)`) is rendered as that many
    parameters, any other value (an array parameter's list included) as one; values are bound as
    given, so they must already be in the driver's form (ids as `RAW_ID` binds them)."""
    expanding = _expanding_names(statement)
    lists = tuple(sorted((name, len(value)) for name, value in params.items() if name in expanding))
    prepared = _prepare(statement, connection.dialect, lists)
    values = dict(prepared.constants)
    for name, value in params.items():
        if name in expanding:
            for index, item in enumerate(value, start=1):
                values[f"{name}_{index}"] = item
        else:
            values[name] = value
    arguments: Any = [values[name] for name in prepared.order] if prepared.order is not None else values
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(prepared.sql, arguments)
        rows = cursor.fetchall()
        processors = prepared.processors
        if processors is None:
            processors = prepared.processors = _processors(statement, connection.dialect, cursor.description)
    finally:
        cursor.close()
    if not processors:
        return list(rows)
    converted = []
    for row in rows:
        items = list(row)
        for index, process in processors:
            items[index] = process(items[index])
        converted.append(items)
    return converted


def _processors(
    statement: Prebuilt, dialect: Dialect, description: Any
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    columns = list(statement.selected_columns)
    found = []
    for index, column in enumerate(columns):
        type_code = description[index][1] if description else None
        process = column.type.dialect_impl(dialect).result_processor(dialect, type_code)
        if process is not None:
            found.append((index, process))
    return tuple(found)


# Binds ids in the driver's own form, as `_raw` reads them, with no conversion on the way in.
RAW_ID = Uuid().with_variant(String(32), "sqlite")


def ids_in(
    column: ColumnElement[Any] | InstrumentedAttribute[Any], array: bool, name: str = "claim_ids"
) -> ColumnElement[bool]:
    """`column` among the ids bound as `name`: an expanding `IN` list, or on PostgreSQL (`array`) one array
    parameter, `= ANY(:claim_ids)`. psycopg parses a statement's text anew whenever it binds more than 50
    parameters (its cache stops there): a page of 51 ids in an `IN` list cost 4-6 ms a statement in parsing alone
    at 1M claims, where one array keeps the text short, its parse cached and its plan the same for any length."""
    if array:
        return column == any_(bindparam(name, type_=ARRAY(RAW_ID)))
    return column.in_(bindparam(name, expanding=True, type_=RAW_ID))


def binds_id_array(dialect: Dialect) -> bool:
    """Whether this engine takes a list of ids as one array parameter (`ids_in`)."""
    return dialect.name == "postgresql"
