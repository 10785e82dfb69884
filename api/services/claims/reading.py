"""Reading claims: one or many as they stand now (the hot read path of every page), or as of a past time, with
their evidence, links and verdict.

The current path runs three prebuilt statements on the driver's own cursor (`driver_reads.prebuilt_rows`), ids
bound and read in the driver's own form and converted once per distinct value (`IdReader`);
`tests/test_claim_reads.py` holds its answers to the ledger's rebuild of each claim (`as_of`).

A page of a list reads its claims in one statement instead (`with_current_states`, `describe_rows`): the
list's own filter and order walk to the claims' rows, with their names joined and their intermediaries, tags
and places aggregated per claim in SQL; the same test holds every page's items to the claim's own answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    Dialect,
    Select,
    String,
    Uuid,
    bindparam,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from api.errors import NotFound
from api.services import parties, sources, verdicts
from api.services.claims.history import historic_states
from api.services.claims.records import COLUMN_FIELDS
from api.services.claims.shape import ClaimDetailDict, ClaimDict, Refs, load_refs, shape
from api.services.driver_reads import binds_id_array, ids_in, prebuilt_rows, to_raw_ids
from models import Actor, Claim, ClaimLink, ClaimPlace, ClaimTag, ClaimVia, Document, Evidence, Source

_STATE_COLUMNS = ("id", *COLUMN_FIELDS, "status", "status_changed_at", "version", "created_by_id", "created_at")
# Ids are read as the driver returns them (32-hex text on SQLite, a uuid on PostgreSQL) and converted once
# per distinct value by `IdReader`: a page repeats its source and creators, and the list rows their claim.
_ID_COLUMNS = frozenset({"id", "source_id", "speaker_id", "document_id", "created_by_id"})
_ID_POSITIONS = tuple((index, name) for index, name in enumerate(_STATE_COLUMNS) if name in _ID_COLUMNS)


def raw_column(column: Any) -> Any:
    """A column read as the driver returns it, without the type's conversion (ids: 32-hex text on SQLite)."""
    return type_coerce(column, String()).label(column.name)


def _claim_with_names() -> tuple[list[Any], Any]:
    """A claim's row (ids raw) with the names it refers to joined in: the columns and their FROM."""
    claims = Claim.__table__
    origin = Source.__table__.alias("origin")
    speaker = Source.__table__.alias("speaker")
    document = Document.__table__
    creator = Actor.__table__
    columns = [
        *(raw_column(claims.c[name]) if name in _ID_COLUMNS else claims.c[name] for name in _STATE_COLUMNS),
        origin.c.name,
        speaker.c.name,
        document.c.title,
        document.c.url,
        creator.c.name,
    ]
    joined = (
        claims.outerjoin(origin, origin.c.id == claims.c.source_id)
        .outerjoin(speaker, speaker.c.id == claims.c.speaker_id)
        .outerjoin(document, document.c.id == claims.c.document_id)
        .outerjoin(creator, creator.c.id == claims.c.created_by_id)
    )
    return columns, joined


_NAMED_COLUMNS, CLAIMS_WITH_NAMES = _claim_with_names()


def _state_statements(array: bool) -> tuple[Select[Any], Any, Select[Any]]:
    """The three queries of `current_states_and_refs`, built once for each way of binding the ids: building
    aliases and unions per call costs more than running them."""
    states = select(*_NAMED_COLUMNS).select_from(CLAIMS_WITH_NAMES).where(ids_in(Claim.__table__.c.id, array))
    places, tags, via = ClaimPlace.__table__, ClaimTag.__table__, ClaimVia.__table__
    relay = Source.__table__.alias("relay")
    no_source = type_coerce(null(), String())
    # Intermediaries first: PostgreSQL types a UNION's NULL column from the branches before it.
    listed = union_all(
        select(raw_column(via.c.claim_id), literal("via"), via.c.position, relay.c.name, raw_column(via.c.source_id))
        .select_from(via.outerjoin(relay, relay.c.id == via.c.source_id))
        .where(ids_in(via.c.claim_id, array)),
        select(raw_column(tags.c.claim_id), literal("tags"), tags.c.position, tags.c.tag, no_source).where(
            ids_in(tags.c.claim_id, array)
        ),
    )
    # Places apart: they carry more than a name (the resolved place, its precision, candidates, point, region).
    resolved = (
        select(
            raw_column(places.c.claim_id),
            places.c.name,
            raw_column(places.c.place_id),
            places.c.geo_precision,
            places.c.candidates,
            places.c.lat,
            places.c.lon,
            places.c.admin1_code,
        )
        .where(ids_in(places.c.claim_id, array))
        .order_by(places.c.claim_id, places.c.position)
    )
    return states, listed.order_by(listed.selected_columns[2]), resolved


# By whether the ids are bound as one array (PostgreSQL) or an expanding list (SQLite).
_STATE_STATEMENTS = {array: _state_statements(array) for array in (False, True)}


_SQLITE_ID_LENGTH = 32
_HYPHENATED_LENGTH = 36
# The `Uuid` type's result processor, by dialect: looking it up costs more than a page's conversions.
_ID_PROCESSORS: dict[str, Any] = {}


def _id_processor(dialect: Dialect) -> Any:
    if dialect.name not in _ID_PROCESSORS:
        _ID_PROCESSORS[dialect.name] = Uuid().dialect_impl(dialect).result_processor(dialect, None)
    return _ID_PROCESSORS[dialect.name]


class IdReader(dict[Any, uuid.UUID | None]):
    """Raw id → UUID with the `Uuid` type's own conversion for this dialect, once per distinct value."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__({None: None})
        self.processor = _id_processor(dialect)

    def __missing__(self, raw: Any) -> uuid.UUID:
        if type(raw) is str and len(raw) == _HYPHENATED_LENGTH:
            value = uuid.UUID(raw)  # an id inside PostgreSQL's JSON: its text, where its columns give a uuid
        else:
            value = self.processor(raw) if self.processor is not None else raw
        assert isinstance(value, uuid.UUID)
        self[raw] = value
        return value

    def text(self, raw: Any) -> str | None:
        """The id as hyphenated text, without making a UUID of SQLite's 32 hex digits (its `Uuid` form)."""
        if raw is None:
            return None
        if type(raw) is str and len(raw) == _SQLITE_ID_LENGTH:
            return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        if type(raw) is str and len(raw) == _HYPHENATED_LENGTH:
            return raw  # PostgreSQL's JSON text of a uuid: lower-case, hyphenated
        return str(self[raw])

    def required(self, raw: Any) -> uuid.UUID:
        """The id of a column that is never NULL."""
        value = self[raw]
        assert value is not None
        return value


_WIDTH = len(_STATE_COLUMNS)


def _state_of(row: Any, ids: IdReader, refs: Refs) -> dict[str, Any]:
    """A claim's state from its row of `_NAMED_COLUMNS` (its lists still empty), its names noted in `refs`."""
    state = dict(zip(_STATE_COLUMNS, row, strict=False))
    for index, name in _ID_POSITIONS:
        state[name] = ids[row[index]]
    state["via"], state["places"], state["tags"] = [], [], []
    source_name, speaker_name, title, url, creator_name = row[_WIDTH : _WIDTH + 5]
    refs.sources[state["source_id"]] = source_name
    if state["speaker_id"]:
        refs.sources[state["speaker_id"]] = speaker_name
    if state["document_id"]:
        refs.documents[state["document_id"]] = (title, url)
    if state["created_by_id"]:
        refs.actors[state["created_by_id"]] = creator_name
    return state


def current_states_and_refs(session: Session, raw_ids: list[Any]) -> tuple[dict[Any, dict[str, Any]], Refs]:
    """Claims as they stand, keyed by raw id (`_raw_ids`), and the names they refer to, in three queries.

    This is the hot read path of every list and of every claim's answer: the three statements are built once
    and run on the driver's own cursor (`driver_reads.prebuilt_rows`: compiled once, each column converted by
    its type's own result processor), ids bound and read in the driver's own form, the referenced names joined
    in rather than fetched by more queries, and tags and intermediaries in one.
    """
    session.flush()  # Core statements do not autoflush; what this transaction wrote must be seen
    connection = session.connection()
    ids = IdReader(connection.dialect)
    parameters = {"claim_ids": raw_ids}
    states_query, lists_query, places_query = _STATE_STATEMENTS[binds_id_array(connection.dialect)]
    states: dict[Any, dict[str, Any]] = {}
    refs = Refs()
    for row in prebuilt_rows(connection, states_query, parameters):
        states[row[0]] = _state_of(row, ids, refs)
    if not states:
        return states, refs
    for raw_claim_id, kind, _position, value, raw_source_id in prebuilt_rows(connection, lists_query, parameters):
        if kind == "via":
            source_id = ids.required(raw_source_id)
            states[raw_claim_id]["via"].append(source_id)
            refs.sources[source_id] = value
        else:
            states[raw_claim_id][kind].append(value)
    for raw_claim_id, name, raw_place_id, precision, candidates, lat, lon, admin1_code in prebuilt_rows(
        connection, places_query, parameters
    ):
        states[raw_claim_id]["places"].append(
            {
                "name": name,
                "place_id": ids.text(raw_place_id),
                "precision": precision,
                "candidates": candidates or [],
                "lat": lat,
                "lon": lon,
                "admin1_code": admin1_code,
            }
        )
    return states, refs


def current_states(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    states, _refs = current_states_and_refs(session, to_raw_ids(session.get_bind().dialect, claim_ids))
    return {state["id"]: state for state in states.values()}


# ---- a page of claims in one statement ------------------------------------------------------------------


def _listed_per_claim(engine: str) -> tuple[Any, Any, Any]:
    """A claim's intermediaries, tags and places, each aggregated into one JSON array per claim by a subquery
    correlated to the claim's row (`json_group_array` on SQLite, `json_agg` on PostgreSQL): a page's children
    come with its rows instead of by a statement each. Every item starts with its position, which orders the
    list (`_page_item`): SQLite's aggregates promise no order. Places carry what the answer shows (name,
    resolved place, precision, candidates), not their point and region: the states built here are only shaped
    (`shape`), never written back, and SQLite's JSON rounds a REAL to 15 digits."""
    claims, places, tags, via = (Claim.__table__, ClaimPlace.__table__, ClaimTag.__table__, ClaimVia.__table__)
    relay = Source.__table__.alias("relay")
    if engine == "postgresql":
        aggregate, item = func.json_agg, func.json_build_array
        candidates: Any = places.c.candidates
    else:
        aggregate, item = func.json_group_array, func.json_array
        candidates = func.json(places.c.candidates)  # the stored JSON text as JSON, not as a string
    via_items = (
        select(aggregate(item(via.c.position, raw_column(via.c.source_id), relay.c.name)))
        .select_from(via.outerjoin(relay, relay.c.id == via.c.source_id))
        .where(via.c.claim_id == claims.c.id)
        .scalar_subquery()
    )
    tag_items = select(aggregate(item(tags.c.position, tags.c.tag))).where(tags.c.claim_id == claims.c.id)
    place_items = select(
        aggregate(
            item(places.c.position, places.c.name, raw_column(places.c.place_id), places.c.geo_precision, candidates)
        )
    ).where(places.c.claim_id == claims.c.id)
    return tuple(
        type_coerce(listed, String()).label(name)
        for name, listed in (
            ("via", via_items),
            ("tags", tag_items.scalar_subquery()),
            ("places", place_items.scalar_subquery()),
        )
    )  # type: ignore[return-value]


_PAGE_COLUMNS = {engine: [*_NAMED_COLUMNS, *_listed_per_claim(engine)] for engine in ("sqlite", "postgresql")}


def current_states_columns(dialect: Dialect) -> list[Any]:
    """The columns `describe_rows` reads: a claim's row with its names (ids raw), then its lists."""
    return _PAGE_COLUMNS[dialect.name]


def with_current_states(dialect: Dialect, statement: Select[Any]) -> Select[Any]:
    """A list's statement (its raw `id`, its `sort_key`, its filters, order and limit) selecting each claim's
    whole current state instead: the rows of the page and their names and lists in one statement, the filter's
    index walked to the claims' rows (as `GET /v1/claims/{id}`'s three statements by id are not). Read its rows
    with `describe_rows`; `row.id` and `row.sort_key` stay as the list's."""
    return statement.with_only_columns(
        *_PAGE_COLUMNS[dialect.name], statement.selected_columns["sort_key"]
    ).select_from(CLAIMS_WITH_NAMES)


def _sorted_items(listed: str | list[list[Any]] | None) -> list[list[Any]]:
    """A `_listed_per_claim` array in position order: SQLite's JSON text, read by orjson (a third of the cost
    of the `JSON` type's `json.loads`), or PostgreSQL's, which psycopg has parsed."""
    if not listed:
        return []  # PostgreSQL's json_agg of no rows is NULL
    items: list[list[Any]] = orjson.loads(listed) if type(listed) is str else listed  # type: ignore[assignment]
    return sorted(items) if len(items) > 1 else items


def describe_rows(dialect: Dialect, rows: list[Any]) -> list[ClaimDict]:
    """The claims of `with_current_states`' rows, in their order, shaped as `ClaimOut`."""
    ids = IdReader(dialect)
    refs = Refs()
    states = []
    via_at = len(_NAMED_COLUMNS)
    for row in rows:
        state = _state_of(row, ids, refs)
        for _position, raw_source_id, name in _sorted_items(row[via_at]):
            source_id = ids.required(raw_source_id)
            state["via"].append(source_id)
            refs.sources[source_id] = name
        state["tags"] = [tag for _position, tag in _sorted_items(row[via_at + 1])]
        state["places"] = [
            {"name": name, "place_id": ids.text(raw_place_id), "precision": precision, "candidates": candidates or []}
            for _position, name, raw_place_id, precision, candidates in _sorted_items(row[via_at + 2])
        ]
        states.append(state)
    return [shape(state, refs) for state in states]


def assertion_state(session: Session, claim_id: uuid.UUID) -> dict[str, Any]:
    """The claim's assertion fields as they stand (`verdicts.ASSERTION_FIELDS`), for its digest."""
    state = current_states(session, [claim_id])[claim_id]
    return {name: state[name] for name in verdicts.ASSERTION_FIELDS}


def describe_current(session: Session, raw_ids: list[Any]) -> list[ClaimDict]:
    """Claims as they stand, in the order of `raw_ids` (ids as `raw_column` reads them), shaped as `ClaimOut`."""
    if not raw_ids:
        return []
    states, refs = current_states_and_refs(session, raw_ids)
    return [shape(states[raw_id], refs) for raw_id in raw_ids if raw_id in states]


def describe(session: Session, claim_ids: list[uuid.UUID], as_of: datetime | None = None) -> list[ClaimDict]:
    """Claims in the order given, shaped as `ClaimOut`, in a fixed number of queries."""
    if as_of is None:
        return describe_current(session, to_raw_ids(session.get_bind().dialect, claim_ids))
    if not claim_ids:
        return []
    states = historic_states(session, claim_ids, as_of)
    ordered = [states[claim_id] for claim_id in claim_ids if claim_id in states]
    refs = load_refs(session, ordered)
    return [shape(state, refs) for state in ordered]


def _evidence_statement() -> Select[Any]:
    provider = aliased(Source)
    return (
        select(Evidence, provider.name, Document.title, Document.url, Actor.name)
        .outerjoin(provider, provider.id == Evidence.provided_by_source_id)
        .outerjoin(Document, Document.id == Evidence.document_id)
        .outerjoin(Actor, Actor.id == Evidence.added_by_id)
        .where(Evidence.claim_id == bindparam("claim_id"))
        .order_by(Evidence.added_at, Evidence.id)
    )


# Built once, like the list queries: adapting the alias costs more than running the query (every POST and
# GET of a single claim runs both).
_EVIDENCE_QUERY = _evidence_statement()
_LINKS_QUERY = (
    select(ClaimLink)
    .where((ClaimLink.from_claim_id == bindparam("claim_id")) | (ClaimLink.to_claim_id == bindparam("claim_id")))
    .order_by(ClaimLink.created_at, ClaimLink.id)
)


def _evidence_items(session: Session, claim_id: uuid.UUID, claim_source_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(_EVIDENCE_QUERY, {"claim_id": claim_id}).all()
    if not rows:
        return []
    provider_ids = [row[0].provided_by_source_id for row in rows if row[0].provided_by_source_id]
    party_of = parties.parties(session, [claim_source_id, *provider_ids])
    party_names = sources.names_of(session, party_of.values())
    items = []
    for item, provider_name, title, url, adder in rows:
        provider_party = party_of.get(item.provided_by_source_id) if item.provided_by_source_id else None
        items.append(
            {
                "id": item.id,
                "claim_id": item.claim_id,
                "stance": item.stance,
                "kind": item.kind,
                "url": item.url,
                "document": {"id": item.document_id, "title": title, "url": url} if item.document_id else None,
                "related_claim_id": item.related_claim_id,
                "provided_by": {"id": item.provided_by_source_id, "name": provider_name}
                if item.provided_by_source_id
                else None,
                "provider_party": {"id": provider_party, "name": party_names[provider_party]}
                if provider_party
                else None,
                "independent": provider_party is not None and provider_party != party_of[claim_source_id],
                "note": item.note,
                "added_by": {"id": item.added_by_id, "name": adder} if item.added_by_id else None,
                "added_at": item.added_at,
            }
        )
    return items


def _links(session: Session, claim_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(_LINKS_QUERY, {"claim_id": claim_id}).scalars()
    return [
        {
            "id": link.id,
            "kind": link.kind,
            "direction": "outgoing" if link.from_claim_id == claim_id else "incoming",
            "claim_id": link.to_claim_id if link.from_claim_id == claim_id else link.from_claim_id,
            "created_at": link.created_at,
        }
        for link in rows
    ]


def get_claim(session: Session, claim_id: uuid.UUID, as_of: datetime | None = None) -> ClaimDetailDict:
    """A claim with its evidence and links; with `as_of`, its record and status as they stood then."""
    found = describe(session, [claim_id], as_of)
    if not found:
        when = f" at {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"No claim has the id {claim_id}{when}.")
    return with_detail(session, found[0], as_of)


def with_detail(session: Session, claim: ClaimDict, as_of: datetime | None = None) -> ClaimDetailDict:
    """A claim as `describe` read it, with its evidence, links and verdict (as they stood at `as_of`)."""
    claim_id = claim["id"]
    evidence = _evidence_items(session, claim_id, claim["source"]["id"])
    links = _links(session, claim_id)
    if as_of is not None:
        evidence = [item for item in evidence if item["added_at"] <= as_of]
        links = [link for link in links if link["created_at"] <= as_of]
    return {**claim, "evidence": evidence, "links": links, "verdict": verdicts.describe_verdict(session, claim, as_of)}
