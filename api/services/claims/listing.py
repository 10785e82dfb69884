"""Listing claims: every filter of `GET /v1/claims` (and of its export and the desk's list), keyset-paged in the
requested order, never OFFSET; a source's claims.

Full text on SQLite above a few thousand matches walks the page order in chunks (`_matching_rows_in_chunks`)
rather than sorting every match; `tests/test_search.py` holds its pages to the plain path's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Dialect, Integer, Select, bindparam, func, literal, literal_column, select, tuple_
from sqlalchemy.orm import Session

from api.errors import InvalidInput, NotFound
from api.schemas.claims import ClaimFilters
from api.services import parties, search, sources, verdicts
from api.services.claims.reading import (
    CLAIMS_WITH_NAMES,
    IdReader,
    current_states_columns,
    describe,
    describe_current,
    describe_rows,
    raw_column,
    with_current_states,
)
from api.services.claims.shape import ClaimDict
from api.services.driver_reads import RAW_ID, binds_id_array, driver_binder, ids_in, prebuilt_rows, to_raw_ids
from api.services.names import name_key
from api.services.pagination import decode_cursor, encode_cursor
from api.services.places import areas
from api.services.times import parse_time_bound
from models import Claim, ClaimPlace, ClaimTag, Event, Source, Verdict
from models.base import UTCDateTime
from models.vocabulary import Status


@dataclass
class ClaimQuery:
    sources: list[str] = field(default_factory=list)
    include_children: bool = False
    statuses: list[Status] = field(default_factory=list)
    channel: str | None = None
    place: str | None = None
    tag: str | None = None
    stated_from: datetime | None = None
    stated_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    as_of: datetime | None = None
    q: str | None = None
    # Only claims with a current verdict whose basis holds (True) or no longer holds (False) under today's parties.
    basis_holds: bool | None = None
    # Where and when (api/services/places/areas.py): a circle, a box, regions by name or code, an event window.
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    region: str | None = None
    event_from: datetime | None = None
    event_to: datetime | None = None
    sort: str = "-stated_at"
    limit: int = 50
    cursor: str | None = None


def query_of(filters: ClaimFilters, *, limit: int = 50, cursor: str | None = None) -> ClaimQuery:
    """The query the list filters ask for (422 naming a time bound that is not one)."""
    return ClaimQuery(
        sources=list(filters.source),
        include_children=filters.include_children,
        statuses=list(filters.status),
        channel=filters.channel,
        place=filters.place,
        tag=filters.tag,
        stated_from=parse_time_bound(filters.stated_from, "stated_from"),
        stated_to=parse_time_bound(filters.stated_to, "stated_to", end_of_day=True),
        recorded_from=parse_time_bound(filters.recorded_from, "recorded_from"),
        recorded_to=parse_time_bound(filters.recorded_to, "recorded_to", end_of_day=True),
        as_of=parse_time_bound(filters.as_of, "as_of", end_of_day=True),
        q=filters.q,
        basis_holds=filters.basis_holds,
        near=areas.parse_near(filters.near),
        radius_km=filters.radius_km,
        bbox=areas.parse_bbox(filters.bbox),
        region=filters.region,
        event_from=parse_time_bound(filters.event_from, "event_from"),
        event_to=parse_time_bound(filters.event_to, "event_to", end_of_day=True),
        sort=filters.sort,
        limit=limit,
        cursor=cursor,
    )


def _status_at(as_of: datetime) -> Any:
    """The status a claim held at `as_of`: the last status-setting event up to then."""
    return (
        select(Event.to_status)
        .where(Event.claim_id == Claim.id, Event.at <= as_of, Event.to_status.is_not(None))
        .order_by(Event.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


def _source_ids(session: Session, query: ClaimQuery, resolved_sources: set[uuid.UUID] | None) -> set[uuid.UUID]:
    """The sources the query names (ids, names or aliases; `resolved_sources` when the caller has them), with
    their descendants when `include_children`."""
    source_ids = resolved_sources or {sources.resolve_reference(session, value, "source") for value in query.sources}
    return parties.descendants(session, source_ids) if query.include_children else source_ids


def areas_of(
    session: Session, query: ClaimQuery, *, unindexed: bool = False, by_place: bool = False
) -> list[Select[Any]]:
    """The claim ids each area filter (near, bbox, region) allows, as subqueries of `claim_places` (`unindexed`:
    written so that only the primary key serves them, for the walks' membership checks; `by_place`: circles and
    boxes by the gazetteer's points, to count them, see `areas.claims_in_box`)."""
    selected: list[Select[Any]] = []
    if query.near is not None or query.radius_km is not None:
        if query.near is None:
            raise InvalidInput("radius_km is the radius around `near`: give near=lat,lon too.", parameter="radius_km")
        selected.append(areas.claims_near(*query.near, query.radius_km, unindexed=unindexed, by_place=by_place))
    if query.bbox is not None:
        selected.append(areas.claims_in_box(*query.bbox, unindexed=unindexed, by_place=by_place))
    if query.region is not None:
        codes = areas.region_codes(session, query.region)
        selected.append(areas.claims_in_regions(codes, unindexed=unindexed))
    return selected


def _event_window(session: Session, query: ClaimQuery) -> list[Any]:
    """The event-window filter's conditions, bounded by the longest window there is (`areas.longest_window`)."""
    if query.event_from is None and query.event_to is None:
        return []
    longest = areas.longest_window(session) if query.event_from is not None else None
    return areas.event_overlaps(query.event_from, query.event_to, longest)


def _filtered(
    session: Session,
    query: ClaimQuery,
    resolved_sources: set[uuid.UUID] | None = None,
    areas_walked: list[Select[Any]] | None = None,
    window: list[Any] | None = None,
) -> Select[Any]:
    """The list's statement. `areas_walked`: the area filters to leave out, because the caller checks them a
    chunk at a time (`_walk_areas`); None applies them all here. `window`: the event window's conditions, when
    the caller has them already."""
    # Only the id, as the driver returns it (`_raw`): with the sort key added by the caller, an index can
    # answer the page without the table, and `_describe_current` binds the ids back unconverted.
    statement: Select[Any] = select(raw_column(Claim.id))
    if query.sources:
        statement = statement.where(Claim.source_id.in_(_source_ids(session, query, resolved_sources)))
    if query.statuses:
        status = _status_at(query.as_of) if query.as_of else Claim.status
        statement = statement.where(status.in_([value.value for value in query.statuses]))
    if query.as_of is not None:
        statement = statement.where(Claim.created_at <= query.as_of)
    if query.channel:
        statement = statement.where(Claim.channel == query.channel)
    if query.place:
        places = select(ClaimPlace.claim_id).where(ClaimPlace.name_key == name_key(query.place))
        statement = statement.where(Claim.id.in_(places))
    if query.tag:
        tags = select(ClaimTag.claim_id).where(ClaimTag.tag_key == name_key(query.tag))
        statement = statement.where(Claim.id.in_(tags))
    if query.stated_from:
        statement = statement.where(Claim.stated_at >= query.stated_from)
    if query.stated_to:
        statement = statement.where(Claim.stated_at <= query.stated_to)
    if query.recorded_from:
        statement = statement.where(Claim.created_at >= query.recorded_from)
    if query.recorded_to:
        statement = statement.where(Claim.created_at <= query.recorded_to)
    for area in areas_of(session, query) if areas_walked is None else areas_walked:
        statement = statement.where(Claim.id.in_(area))
    window = _event_window(session, query) if window is None else window
    if window:
        statement = statement.where(*window)
    if query.basis_holds is not None:
        if query.as_of is not None:
            raise InvalidInput(
                "basis_holds asks about current verdicts under today's parties: it cannot be combined with as_of.",
                parameter="basis_holds",
            )
        failing = verdicts.basis_failing()
        if query.basis_holds:
            statement = statement.where(Claim.id.in_(select(Verdict.claim_id)), Claim.id.not_in(failing))
        else:
            statement = statement.where(Claim.id.in_(failing))
    return statement


def _sort_column(query: ClaimQuery, rank: Any, *, window_first: bool = False) -> Any:
    """The page's sort key. `window_first`: the same values written so that no index serves the order, which
    leaves the planner the event window's index to find the claims by (`_window_first`)."""
    if query.sort == "relevance":
        if rank is None:
            raise InvalidInput("sort=relevance ranks full-text matches: give q as well.", parameter="sort")
        return rank
    column = Claim.created_at if query.sort == "-recorded_at" else Claim.stated_at
    return func.coalesce(column, column) if window_first else column


# At most this many claims in the event window (by the window's own index) and the page is found by reading them
# and sorting, rather than by walking the page order until enough of them turn up. Walking is what a planner
# picks for a LIMIT in sort order, and it reads every newer claim first: a one-day window in 2023 took p99 383 ms
# on PostgreSQL at 1,000,000 claims (bench/README.md). A window holding more claims than this fills a page
# quickly in page order.
_WINDOW_FIRST_UP_TO = 20_000


def _window_first(session: Session, query: ClaimQuery, window: list[Any]) -> bool:
    """Whether to find the page from the event window's claims (few enough to sort) instead of the page order."""
    if not window or query.q is not None or query.sort == "relevance":
        return False
    in_window = select(Claim.event_start).where(*window).limit(_WINDOW_FIRST_UP_TO + 1).subquery()
    return (session.scalar(select(func.count()).select_from(in_window)) or 0) <= _WINDOW_FIRST_UP_TO


# Above this many full-text matches, SQLite walks the sort order in chunks and keeps the matching claims
# instead of sorting every match: at 1,000,000 claims a word in a quarter of them took 190 ms sorted, 66 ms
# walked against the set of all its matches, 20 ms walked in chunks; a word in 1,400 claims is quickest
# fetched and sorted (bench/README.md).
_WALK_MATCHES = 2_000


def _restrict_to_matches(
    session: Session, statement: Select[Any], terms: list[search.Term], sort: str
) -> tuple[Select[Any], Any, bool]:
    """Keep the claims matching the full-text terms. Returns the statement, the match rank when there is one,
    and whether SQLite should rather walk the page order in chunks (`_matching_rows_in_chunks`), in which
    case the statement comes back unchanged."""
    dialect = session.get_bind().dialect.name
    if dialect != "sqlite" or sort == "relevance":
        statement, rank = search.restrict(statement, dialect, terms)
        return statement, rank, False
    matches = search.sqlite_matching_rowids(terms)
    counted = select(func.count()).select_from(matches.limit(_WALK_MATCHES + 1).subquery())
    if (session.scalar(counted) or 0) > _WALK_MATCHES:
        return statement, None, True
    # Few matches: fetch exactly those claims by rowid and sort them (whatever other filters there are).
    return statement.where(literal_column("claims.rowid").in_(matches)), None, False


# Chunks of the sort order read per full-text check: the first is small, each next one twice as large.
_FIRST_CHUNK, _LARGEST_CHUNK = 400, 25_600


def _matching_rows_in_chunks(
    connection: Any, page: Callable[[Any], Select[Any]], terms: list[search.Term], wanted: int
) -> list[Any]:
    """SQLite, many full-text matches: walk the claims in page order a chunk at a time, and keep those whose
    rowid FTS5 finds between the chunk's lowest and highest rowid.

    Collecting every match first (255,000 for a common word at 1,000,000 claims) took 66 ms; rowids follow the
    order claims were recorded in, which a page's order mostly follows, so a chunk's range is narrow and
    reading it costs a few milliseconds. The answer does not depend on that: a wide range is only slower.
    `page(after)` is the page's statement (with `claim_rowid` and `sort_key`) after the row `after`, or from
    the start.
    """
    kept: list[Any] = []
    after = None
    chunk = _FIRST_CHUNK
    matches = search.sqlite_matching_rowids_between(terms)
    while len(kept) < wanted:
        rows = connection.execute(page(after).limit(chunk)).all()
        if not rows:
            break
        rowids = [row.claim_rowid for row in rows]
        hits = set(connection.execute(matches, {"low": min(rowids), "high": max(rowids)}).scalars())
        kept.extend(row for row in rows if row.claim_rowid in hits)
        if len(rows) < chunk:
            break
        after = rows[-1]
        chunk = min(chunk * 2, _LARGEST_CHUNK)
    return kept[:wanted]


# Above this many claim places in an area, the page is found by walking the claims in page order and keeping those
# in the area, rather than by sorting every claim in it: at 1,000,000 claims a city's 50 km holds 100,000 of them.
# Below it the area is sparse enough that walking would read many chunks to fill a page (Lviv Oblast's 1% of the
# claims took 119 ms walked on PostgreSQL at 200,000 claims) and its claims are quicker sorted.
_WALK_AREA_ABOVE = 5_000
_AREA_CHUNK_LIMIT = 8_000  # ids bound at once in the area check (SQLite binds at most 32,766 parameters)


def _area_to_walk(session: Session, query: ClaimQuery, area_filters: list[Select[Any]]) -> Select[Any] | None:
    """The area filter to check a chunk at a time, when each one holds many claims (and no full text is asked,
    which walks in chunks of its own); None to filter them all in the statement. With an event window too,
    walking still wins: filtered in the statement, a region of 250,000 claims and a quarter's window took
    940 ms at 1,000,000 claims (p50), walked 40 ms (bench/README.md)."""
    if not area_filters or query.q is not None or query.sort == "relevance":
        return None
    counted = []
    for area, by_place in zip(area_filters, areas_of(session, query, by_place=True), strict=True):
        # Counted from the index alone: reading each claim id would visit the table's row (SQLite).
        counting = by_place.with_only_columns(literal(1)).limit(_WALK_AREA_ABOVE + 1)
        many = select(func.count()).select_from(counting.subquery())
        counted.append((session.scalar(many) or 0, area))
    fewest, area = min(counted, key=lambda item: item[0])
    return area if fewest > _WALK_AREA_ABOVE else None


def _in_area(unindexed_area: Select[Any], claim_id: Any) -> ColumnElement[bool]:
    """Whether the claim has a place in the area, looked up by `claim_places`' primary key (the area's columns
    written so that no index serves them: `areas_of(..., unindexed=True)`), for a statement that walks the page
    order itself and stops when the page is full.

    Written as a scalar subquery, not EXISTS: PostgreSQL turns an EXISTS into a semi-join, and for one it read a
    whole circle's or box's places first (1.0-3.6 s at 1,000,000 claims); a scalar subquery is never joined, so
    it stays a lookup per claim in page order, which its planner takes to pass nearly every claim and so walks
    the page order's index for the LIMIT. SQLite walks the same statement alike, EXISTS or not.
    """
    first = unindexed_area.with_only_columns(literal(1)).where(ClaimPlace.claim_id == claim_id).limit(1)
    return first.scalar_subquery().is_not(None)


def _walk_areas(connection: Any, page: Callable[[Any], Select[Any]], area: Select[Any], wanted: int) -> list[Any]:
    """Many claims in the area: read the claims in page order a chunk at a time, and keep those the area holds.

    A place named by a tenth of the claims fills a page from the first few hundred in order; sorting all of them
    first cost 35 ms at 20,000 claims and grows with the table. A rare match only makes the walk longer, which
    is why `_area_to_walk` walks only areas holding many claims.
    """
    member = area.with_only_columns(raw_column(ClaimPlace.claim_id)).where(
        ids_in(ClaimPlace.claim_id, binds_id_array(connection.dialect))
    )
    kept: list[Any] = []
    after = None
    chunk = _FIRST_CHUNK
    while len(kept) < wanted:
        rows = connection.execute(page(after).limit(chunk)).all()
        if not rows:
            break
        hits = set(connection.execute(member, {"claim_ids": [row.id for row in rows]}).scalars())
        kept.extend(row for row in rows if row.id in hits)
        if len(rows) < chunk:
            break
        after = rows[-1]
        chunk = min(chunk * 2, _AREA_CHUNK_LIMIT)
    return kept[:wanted]


# ---- the pages of sources, by prebuilt statements ---------------------------------------------------------

# The fields a query of sources' claims may set, all others at their defaults: a source's page, or
# `GET /v1/claims?source=…`, in a time order.
_BY_SOURCES_FIELDS = frozenset({"sources", "include_children", "sort", "limit", "cursor"})
_DEFAULTS = ClaimQuery()
_TIME_SORTS = {
    "-stated_at": "stated_at",
    "stated_at": "stated_at",
    "-recorded_at": "created_at",
    "recorded_at": "created_at",
}


def _by_sources_only(query: ClaimQuery) -> bool:
    """Whether the query asks for sources' claims and nothing else, in a time order (`_page_by_sources`)."""
    if not query.sources or query.sort not in _TIME_SORTS:
        return False
    return all(
        getattr(query, name.name) == getattr(_DEFAULTS, name.name)
        for name in fields(ClaimQuery)
        if name.name not in _BY_SOURCES_FIELDS
    )


def _by_sources_statement(dialect: Dialect, sort: str, after: bool) -> Select[Any]:
    """The statement of a page of sources' claims, with every value bound (the sources, the cursor's key,
    the limit), so that it is built and compiled once for its shape: its engine, its order, and whether it
    starts after a cursor."""
    claims = Claim.__table__
    column = claims.c[_TIME_SORTS[sort]]
    descending = sort.startswith("-")
    statement = (
        select(*current_states_columns(dialect), column.label("sort_key"))
        .select_from(CLAIMS_WITH_NAMES)
        .where(ids_in(claims.c.source_id, binds_id_array(dialect), name="source_ids"))
    )
    if after:
        key = tuple_(column, claims.c.id)
        # Values given at each run (`prebuilt_rows`); None here, so that the statement compiles without them.
        bound = tuple_(bindparam("after_value", None, type_=column.type), bindparam("after_id", None, type_=RAW_ID))
        statement = statement.where(key < bound if descending else key > bound)
    order = (column.desc(), claims.c.id.desc()) if descending else (column.asc(), claims.c.id.asc())
    return statement.order_by(*order).limit(bindparam("page_limit", None, type_=Integer()))


_BY_SOURCES: dict[tuple[str, str, bool], Select[Any]] = {}


def _page_by_sources(
    session: Session, query: ClaimQuery, secret: str, resolved_sources: set[uuid.UUID] | None
) -> tuple[list[ClaimDict], str | None]:
    """`list_claims` for `_by_sources_only` queries: one prebuilt statement on the driver's cursor
    (`driver_reads.prebuilt_rows`), without building the list's statement and its cache key for each page,
    which cost more than SQLite's work on it. `tests/test_claim_reads.py` holds its pages to the general path's."""
    source_ids = _source_ids(session, query, resolved_sources)
    session.flush()  # a driver statement does not autoflush
    connection = session.connection()
    dialect = connection.dialect
    shape_key = (dialect.name, query.sort, query.cursor is not None)
    statement = _BY_SOURCES.get(shape_key)
    if statement is None:
        statement = _BY_SOURCES[shape_key] = _by_sources_statement(dialect, query.sort, query.cursor is not None)
    params: dict[str, Any] = {"source_ids": to_raw_ids(dialect, sorted(source_ids)), "page_limit": query.limit + 1}
    if query.cursor:
        last_value, last_id = decode_cursor(secret, query.sort, query.cursor)
        # Every time a list sorts by is a UTCDateTime column (models/base.py maps `datetime` to it).
        params["after_value"] = driver_binder(dialect, UTCDateTime)(datetime.fromisoformat(last_value))
        params["after_id"] = to_raw_ids(dialect, [uuid.UUID(last_id)])[0]
    rows = prebuilt_rows(connection, statement, params)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        sort_key, raw_id = rows[-1][-1], rows[-1][0]
        next_cursor = encode_cursor(secret, query.sort, [sort_key.isoformat(), str(IdReader(dialect).required(raw_id))])
    return describe_rows(dialect, rows), next_cursor


def list_claims(
    session: Session, query: ClaimQuery, secret: str, *, resolved_sources: set[uuid.UUID] | None = None
) -> tuple[list[ClaimDict], str | None]:
    """Claims matching every filter, keyset-paged in the requested order (never OFFSET).

    `resolved_sources`: the ids `query.sources` names, when the caller has already checked that they exist.
    """
    if _by_sources_only(query):
        return _page_by_sources(session, query, secret, resolved_sources)
    area_filters = areas_of(session, query)
    window = _event_window(session, query)
    window_first = _window_first(session, query, window)
    walked_area = _area_to_walk(session, query, area_filters)
    dialect = session.get_bind().dialect
    region_walked = query.region is not None and walked_area is area_filters[-1]
    if dialect.name == "postgresql" and not window_first and region_walked:
        # PostgreSQL knows how many claim places each region holds (its statistics), and walks the page order
        # itself with the region's index, however many: Lviv Oblast at 1,000,000 claims in 5 ms, where walking
        # it in chunks took 60. A circle or a box it cannot estimate, and those are walked.
        walked_area = None
    statement = _filtered(session, query, resolved_sources, [] if walked_area is not None else None, window)
    if walked_area is not None:
        # The other area filters (if several were given) stay in the statement; the most selective is walked.
        for area in area_filters:
            if area is not walked_area:
                statement = statement.where(Claim.id.in_(area))
    rank = None
    chunked_terms = None
    if query.q is not None:
        terms = search.parse(query.q)
        if not terms:  # nothing searchable was typed (only punctuation): nothing can match
            return [], None
        statement, rank, walk_in_chunks = _restrict_to_matches(session, statement, terms, query.sort)
        chunked_terms = terms if walk_in_chunks else None
    column = _sort_column(query, rank, window_first=window_first)
    descending = query.sort.startswith("-")
    bound_type = None if rank is not None else column.type
    ids = IdReader(dialect)

    def after(value: Any, last_raw_id: Any) -> Any:
        key = tuple_(column, Claim.id)
        bound = tuple_(literal(value, bound_type), literal(last_raw_id, RAW_ID))
        return key < bound if descending else key > bound

    if query.cursor:
        last_value, last_id = decode_cursor(secret, query.sort, query.cursor)
        bound_value = float(last_value) if query.sort == "relevance" else datetime.fromisoformat(last_value)
        statement = statement.where(after(bound_value, to_raw_ids(dialect, [uuid.UUID(last_id)])[0]))
    order = (column.desc(), Claim.id.desc()) if descending else (column.asc(), Claim.id.asc())
    statement = statement.add_columns(column.label("sort_key")).order_by(*order)
    session.flush()  # Core execution (plain rows, no ORM loading) does not autoflush
    connection = session.connection()
    if walked_area is not None and not window_first:
        # Both engines walk the page order in the statement, each claim looked up in the area by its primary key
        # until the page is full (`_in_area`). PostgreSQL walked it in chunks before, each a statement and a
        # round trip of up to 8,000 ids: near Izium at 1,000,000 claims 52 -> 39 ms in-process (p50).
        unindexed = areas_of(session, query, unindexed=True)[area_filters.index(walked_area)]
        rows = list(connection.execute(statement.where(_in_area(unindexed, Claim.id)).limit(query.limit + 1)).all())
    elif walked_area is not None:
        # The window's few claims sorted, a chunk at a time checked against the area. In one statement (the
        # sorted window as a subquery, the area checked over it) SQLite sorted again after checking every claim
        # in the window (219 ms for Donetsk Oblast and a quarter, against 55 ms so), and PostgreSQL gained nothing.

        def area_page(last: Any) -> Select[Any]:
            return statement if last is None else statement.where(after(last.sort_key, last.id))

        unindexed = areas_of(session, query, unindexed=True)[area_filters.index(walked_area)]
        rows = _walk_areas(connection, area_page, unindexed, query.limit + 1)
    elif chunked_terms is None and query.as_of is None:
        # The common page: its claims' states come with their ids, in one statement (`with_current_states`).
        rows = list(connection.execute(with_current_states(dialect, statement).limit(query.limit + 1)).all())
        rows, next_cursor = _cut(rows, query, secret, ids)
        return describe_rows(dialect, rows), next_cursor
    elif chunked_terms is None:
        rows = list(connection.execute(statement.limit(query.limit + 1)).all())
    else:
        with_rowid = statement.add_columns(literal_column("claims.rowid").label("claim_rowid"))

        def page(last: Any) -> Select[Any]:
            return with_rowid if last is None else with_rowid.where(after(last.sort_key, last.id))

        rows = _matching_rows_in_chunks(connection, page, chunked_terms, query.limit + 1)
    rows, next_cursor = _cut(rows, query, secret, ids)
    if query.as_of is None:
        return describe_current(session, [row.id for row in rows]), next_cursor
    return describe(session, [ids.required(row.id) for row in rows], query.as_of), next_cursor


def _cut(rows: list[Any], query: ClaimQuery, secret: str, ids: IdReader) -> tuple[list[Any], str | None]:
    """The page's rows (the one more asked for, which says there is a next page, left off) and its cursor."""
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    last = rows[-1]
    value = last.sort_key if query.sort == "relevance" else last.sort_key.isoformat()
    return rows, encode_cursor(secret, query.sort, [value, str(ids.required(last.id))])


_SOURCE_EXISTS = select(Source.id).where(Source.id == bindparam("source_id"))


def list_source_claims(
    session: Session, source_id: uuid.UUID, *, include_children: bool, limit: int, cursor: str | None, secret: str
) -> tuple[list[ClaimDict], str | None]:
    """A source's claims (404 for an unknown source, where the list filter's unknown source is a 422)."""
    query = ClaimQuery(sources=[str(source_id)], include_children=include_children, limit=limit, cursor=cursor)
    items, next_cursor = list_claims(session, query, secret, resolved_sources={source_id})
    # A claim names its source through a foreign key, so only an empty page leaves the source's existence open.
    if not items and session.connection().execute(_SOURCE_EXISTS, {"source_id": source_id}).first() is None:
        raise NotFound(f"No source has the id {source_id}.")
    return items, next_cursor
