"""Claims: record, amend, attach evidence and links, read (now or as of a past time), list, history.

A claim's words are fixed when recorded; every later change is a ledger event. The claim's current
row is a projection; `as_of` answers are rebuilt from the events alone.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Dialect,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    tuple_,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased

from api.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from api.schemas.claims import ClaimIn, ClaimPatch, EvidenceIn, LinkIn
from api.services import ledger, parties, search, sources, verdicts
from api.services.audit import describe_events
from api.services.auth import Principal, actor_names, require_role
from api.services.common import insert_unique
from api.services.documents import require_document
from api.services.pagination import decode_cursor, encode_cursor
from models import (
    Actor,
    Claim,
    ClaimLink,
    ClaimPlace,
    ClaimTag,
    ClaimVia,
    Document,
    Event,
    Evidence,
    IdempotencyKey,
    Source,
    Verdict,
)
from models.vocabulary import CREDIBILITY, Role, Status

IDEMPOTENCY_WINDOW = timedelta(hours=24)

# The fields that make up what was recorded: fixed at creation, changed only by an amendment event.
RECORDED_FIELDS = (
    "statement",
    "quote",
    "source_id",
    "speaker_id",
    "channel",
    "channel_detail",
    "document_id",
    "via",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "places",
    "tags",
    "language",
    "external_id",
)
_ID_FIELDS = ("source_id", "speaker_id", "document_id")
_TIME_FIELDS = ("stated_at", "event_start", "event_end")
_COLUMN_FIELDS = tuple(name for name in RECORDED_FIELDS if name not in ("via", "places", "tags"))


# ---- recorded state: to and from ledger payloads -------------------------------------------------


def _to_payload(state: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of recorded fields (ids as strings, times as ISO 8601 UTC)."""
    payload: dict[str, Any] = {}
    for name, value in state.items():
        if name in _ID_FIELDS:
            payload[name] = str(value) if value is not None else None
        elif name in _TIME_FIELDS:
            payload[name] = value.astimezone(UTC).isoformat() if value is not None else None
        elif name == "via":
            payload[name] = [str(item) for item in value]
        else:
            payload[name] = value.value if hasattr(value, "value") else value
    return payload


# Public names for the bulk import (api/services/exchange.py), which writes the same `claim.imported` payloads.
to_payload = _to_payload


def _from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, value in payload.items():
        if name in _ID_FIELDS:
            state[name] = uuid.UUID(value) if value is not None else None
        elif name in _TIME_FIELDS:
            state[name] = datetime.fromisoformat(value) if value is not None else None
        elif name == "via":
            state[name] = [uuid.UUID(item) for item in value]
        else:
            state[name] = value
    return state


# ---- shaping ---------------------------------------------------------------------------------------


@dataclass
class _Refs:
    sources: dict[uuid.UUID, str] = field(default_factory=dict)
    documents: dict[uuid.UUID, tuple[str, str | None]] = field(default_factory=dict)
    actors: dict[uuid.UUID, str] = field(default_factory=dict)


def _load_refs(session: Session, states: list[dict[str, Any]]) -> _Refs:
    source_ids: set[uuid.UUID] = set()
    document_ids: set[uuid.UUID] = set()
    actor_ids: set[uuid.UUID] = set()
    for state in states:
        source_ids.add(state["source_id"])
        if state["speaker_id"]:
            source_ids.add(state["speaker_id"])
        source_ids.update(state["via"])
        if state["document_id"]:
            document_ids.add(state["document_id"])
        if state["created_by_id"]:
            actor_ids.add(state["created_by_id"])
    refs = _Refs()
    if source_ids:
        refs.sources = sources.names_of(session, source_ids)
    if document_ids:
        refs.documents = {
            row.id: (row.title, row.url)
            for row in session.execute(
                select(Document.id, Document.title, Document.url).where(Document.id.in_(document_ids))
            )
        }
    if actor_ids:
        refs.actors = actor_names(session, actor_ids)
    return refs


def _shape(state: dict[str, Any], refs: _Refs) -> dict[str, Any]:
    """One claim as the API returns it (`ClaimOut`)."""

    def source_ref(source_id: uuid.UUID | None) -> dict[str, Any] | None:
        return {"id": source_id, "name": refs.sources[source_id]} if source_id else None

    document_id = state["document_id"]
    document = None
    if document_id:
        title, url = refs.documents[document_id]
        document = {"id": document_id, "title": title, "url": url}
    creator = state["created_by_id"]
    return {
        "id": state["id"],
        "statement": state["statement"],
        "quote": state["quote"],
        "source": source_ref(state["source_id"]),
        "speaker": source_ref(state["speaker_id"]),
        "channel": state["channel"],
        "channel_detail": state["channel_detail"],
        "document": document,
        "via": [source_ref(item) for item in state["via"]],
        "stated_at": state["stated_at"],
        "stated_at_precision": state["stated_at_precision"],
        "event_start": state["event_start"],
        "event_end": state["event_end"],
        "places": state["places"],
        "tags": state["tags"],
        "language": state["language"],
        "external_id": state["external_id"],
        "status": state["status"],
        "status_changed_at": state["status_changed_at"],
        "credibility": CREDIBILITY[Status(state["status"])],
        "version": state["version"],
        "created_by": {"id": creator, "name": refs.actors[creator]} if creator else None,
        "created_at": state["created_at"],
    }


_STATE_COLUMNS = ("id", *_COLUMN_FIELDS, "status", "status_changed_at", "version", "created_by_id", "created_at")
# Ids are read as the driver returns them (32-hex text on SQLite, a uuid on PostgreSQL) and converted once
# per distinct value by `_IdReader`: a page repeats its source and creators, and the list rows their claim.
_ID_COLUMNS = frozenset({"id", "source_id", "speaker_id", "document_id", "created_by_id"})
_ID_POSITIONS = tuple((index, name) for index, name in enumerate(_STATE_COLUMNS) if name in _ID_COLUMNS)


def _raw(column: Any) -> Any:
    return type_coerce(column, String()).label(column.name)


# Binds ids in the driver's own form, as `_raw` reads them, with no conversion on the way in.
_RAW_ID = Uuid().with_variant(String(32), "sqlite")


def _raw_ids(dialect: Dialect, claim_ids: list[uuid.UUID]) -> list[Any]:
    """UUIDs in the form `_raw` reads them, by the `Uuid` type's own conversion for this dialect (the converse
    of `_IdReader`): 32-hex text on SQLite, the uuid itself on PostgreSQL."""
    to_raw = Uuid().dialect_impl(dialect).bind_processor(dialect)
    return [to_raw(claim_id) for claim_id in claim_ids] if to_raw is not None else list(claim_ids)


def _state_statements() -> tuple[Select[Any], Any]:
    """The two queries of `_current_states_and_refs`, built once: building aliases and unions per call costs
    more than running them."""
    claims = Claim.__table__
    origin = Source.__table__.alias("origin")
    speaker = Source.__table__.alias("speaker")
    document = Document.__table__
    creator = Actor.__table__
    claim_ids: BindParameter[Any] = bindparam("claim_ids", expanding=True, type_=_RAW_ID)
    states = (
        select(
            *(_raw(claims.c[name]) if name in _ID_COLUMNS else claims.c[name] for name in _STATE_COLUMNS),
            origin.c.name,
            speaker.c.name,
            document.c.title,
            document.c.url,
            creator.c.name,
        )
        .select_from(
            claims.outerjoin(origin, origin.c.id == claims.c.source_id)
            .outerjoin(speaker, speaker.c.id == claims.c.speaker_id)
            .outerjoin(document, document.c.id == claims.c.document_id)
            .outerjoin(creator, creator.c.id == claims.c.created_by_id)
        )
        .where(claims.c.id.in_(claim_ids))
    )
    places, tags, via = ClaimPlace.__table__, ClaimTag.__table__, ClaimVia.__table__
    relay = Source.__table__.alias("relay")
    no_source = type_coerce(null(), String())
    # Intermediaries first: PostgreSQL types a UNION's NULL column from the branches before it.
    listed = union_all(
        select(_raw(via.c.claim_id), literal("via"), via.c.position, relay.c.name, _raw(via.c.source_id))
        .select_from(via.outerjoin(relay, relay.c.id == via.c.source_id))
        .where(via.c.claim_id.in_(claim_ids)),
        select(_raw(places.c.claim_id), literal("places"), places.c.position, places.c.name, no_source).where(
            places.c.claim_id.in_(claim_ids)
        ),
        select(_raw(tags.c.claim_id), literal("tags"), tags.c.position, tags.c.tag, no_source).where(
            tags.c.claim_id.in_(claim_ids)
        ),
    )
    return states, listed.order_by(listed.selected_columns[2])


_STATES_QUERY, _LISTS_QUERY = _state_statements()


class _IdReader(dict[Any, uuid.UUID | None]):
    """Raw id → UUID with the `Uuid` type's own conversion for this dialect, once per distinct value."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__({None: None})
        self.processor = Uuid().dialect_impl(dialect).result_processor(dialect, None)

    def __missing__(self, raw: Any) -> uuid.UUID:
        value = self.processor(raw) if self.processor is not None else raw
        assert isinstance(value, uuid.UUID)
        self[raw] = value
        return value

    def required(self, raw: Any) -> uuid.UUID:
        """The id of a column that is never NULL."""
        value = self[raw]
        assert value is not None
        return value


def _current_states_and_refs(session: Session, raw_ids: list[Any]) -> tuple[dict[Any, dict[str, Any]], _Refs]:
    """Claims as they stand, keyed by raw id (`_raw_ids`), and the names they refer to, in two queries.

    This is the hot read path of every list: plain Core rows (no ORM loading), ids bound and read in the
    driver's own form, the referenced names joined in rather than fetched by three more queries, and
    places, tags and intermediaries in one.
    """
    session.flush()  # Core statements do not autoflush; what this transaction wrote must be seen
    connection = session.connection()
    ids = _IdReader(connection.dialect)
    parameters = {"claim_ids": raw_ids}
    width = len(_STATE_COLUMNS)
    states: dict[Any, dict[str, Any]] = {}
    refs = _Refs()
    for row in connection.execute(_STATES_QUERY, parameters).all():
        state = dict(zip(_STATE_COLUMNS, row, strict=False))
        states[row[0]] = state
        for index, name in _ID_POSITIONS:
            state[name] = ids[row[index]]
        state["via"], state["places"], state["tags"] = [], [], []
        source_name, speaker_name, title, url, creator_name = row[width:]
        refs.sources[state["source_id"]] = source_name
        if state["speaker_id"]:
            refs.sources[state["speaker_id"]] = speaker_name
        if state["document_id"]:
            refs.documents[state["document_id"]] = (title, url)
        if state["created_by_id"]:
            refs.actors[state["created_by_id"]] = creator_name
    for raw_claim_id, kind, _position, value, raw_source_id in connection.execute(_LISTS_QUERY, parameters).all():
        if kind == "via":
            source_id = ids.required(raw_source_id)
            states[raw_claim_id]["via"].append(source_id)
            refs.sources[source_id] = value
        else:
            states[raw_claim_id][kind].append(value)
    return states, refs


def _current_states(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    states, _refs = _current_states_and_refs(session, _raw_ids(session.get_bind().dialect, claim_ids))
    return {state["id"]: state for state in states.values()}


def assertion_state(session: Session, claim_id: uuid.UUID) -> dict[str, Any]:
    """The claim's assertion fields as they stand (`verdicts.ASSERTION_FIELDS`), for its digest."""
    state = _current_states(session, [claim_id])[claim_id]
    return {name: state[name] for name in verdicts.ASSERTION_FIELDS}


def _describe_current(session: Session, raw_ids: list[Any]) -> list[dict[str, Any]]:
    """Claims as they stand, in the order of `raw_ids` (ids as `_raw` reads them), shaped as `ClaimOut`."""
    if not raw_ids:
        return []
    states, refs = _current_states_and_refs(session, raw_ids)
    return [_shape(states[raw_id], refs) for raw_id in raw_ids if raw_id in states]


def _historic_states(session: Session, claim_ids: list[uuid.UUID], as_of: datetime) -> dict[uuid.UUID, dict[str, Any]]:
    """Each claim as it stood at `as_of`, folded from its events; claims not yet recorded are absent."""
    states: dict[uuid.UUID, dict[str, Any]] = {}
    events = session.execute(
        select(Event.claim_id, Event.type, Event.at, Event.to_status, Event.payload, Event.actor_id)
        .where(Event.claim_id.in_(claim_ids), Event.at <= as_of)
        .order_by(Event.seq)
    )
    for claim_id, event_type, at, to_status, payload, actor_id in events:
        state = states.get(claim_id)
        if event_type in ("claim.created", "claim.imported"):
            states[claim_id] = {
                "id": claim_id,
                **_from_payload(payload["claim"]),
                "status": to_status,
                # An import keeps the time the status was set where the claim came from.
                "status_changed_at": datetime.fromisoformat(payload["status_changed_at"])
                if payload.get("status_changed_at")
                else at,
                "version": 1,
                "created_by_id": actor_id
                if event_type == "claim.created"
                else payload.get("created_by_id") and uuid.UUID(payload["created_by_id"]),
                "created_at": at,
            }
            continue
        if state is None:
            continue
        state["version"] += 1
        if event_type == "claim.amended":
            state.update(_from_payload(payload["after"]))
        if to_status is not None:
            state["status"] = to_status
            state["status_changed_at"] = at
    return states


def statement_at(session: Session, claim_id: uuid.UUID, seq: int) -> str | None:
    """The claim's statement as it stood at ledger event `seq`, folded from its events alone."""
    statement = None
    for event_type, payload in session.execute(
        select(Event.type, Event.payload)
        .where(Event.claim_id == claim_id, Event.seq <= seq, Event.type.in_(_STATEMENT_EVENTS))
        .order_by(Event.seq)
    ):
        recorded = payload.get("claim") if event_type != "claim.amended" else payload.get("after")
        if recorded and "statement" in recorded:
            statement = recorded["statement"]
    return statement


_STATEMENT_EVENTS = ("claim.created", "claim.imported", "claim.amended")


def describe(session: Session, claim_ids: list[uuid.UUID], as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Claims in the order given, shaped as `ClaimOut`, in a fixed number of queries."""
    if as_of is None:
        return _describe_current(session, _raw_ids(session.get_bind().dialect, claim_ids))
    if not claim_ids:
        return []
    states = _historic_states(session, claim_ids, as_of)
    ordered = [states[claim_id] for claim_id in claim_ids if claim_id in states]
    refs = _load_refs(session, ordered)
    return [_shape(state, refs) for state in ordered]


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


def get_claim(session: Session, claim_id: uuid.UUID, as_of: datetime | None = None) -> dict[str, Any]:
    """A claim with its evidence and links; with `as_of`, its record and status as they stood then."""
    found = describe(session, [claim_id], as_of)
    if not found:
        when = f" at {as_of.isoformat()}" if as_of else ""
        raise NotFound(f"No claim has the id {claim_id}{when}.")
    claim = found[0]
    evidence = _evidence_items(session, claim_id, claim["source"]["id"])
    links = _links(session, claim_id)
    if as_of is not None:
        evidence = [item for item in evidence if item["added_at"] <= as_of]
        links = [link for link in links if link["created_at"] <= as_of]
    return {**claim, "evidence": evidence, "links": links, "verdict": verdicts.describe_verdict(session, claim, as_of)}


# ---- writing ---------------------------------------------------------------------------------------


def _check_references(session: Session, values: dict[str, Any]) -> None:
    """422 naming the first field whose id names no source or document (one query for all the sources)."""
    named = [(field, values.get(field)) for field in ("source_id", "speaker_id")]
    named += [(f"via.{index}", via_id) for index, via_id in enumerate(values.get("via") or [])]
    wanted = {source_id for _field, source_id in named if source_id is not None}
    if wanted:
        found = set(session.scalars(select(Source.id).where(Source.id.in_(wanted))))
        for field, source_id in named:
            if source_id is not None and source_id not in found:
                raise InvalidInput(f"{field}: no source has the id {source_id}.", parameter=field)
    if values.get("document_id") is not None:
        require_document(session, values["document_id"], "document_id")


def _place_rows(claim_id: uuid.UUID, places: list[str]) -> list[dict[str, Any]]:
    return [
        {"claim_id": claim_id, "position": index, "name": name, "name_key": sources.name_key(name)}
        for index, name in enumerate(places)
    ]


def _tag_rows(claim_id: uuid.UUID, tags: list[str]) -> list[dict[str, Any]]:
    return [
        {"claim_id": claim_id, "position": index, "tag": tag, "tag_key": sources.name_key(tag)}
        for index, tag in enumerate(tags)
    ]


def _via_rows(claim_id: uuid.UUID, via: list[uuid.UUID]) -> list[dict[str, Any]]:
    return [{"claim_id": claim_id, "position": index, "source_id": source_id} for index, source_id in enumerate(via)]


def _request_digest(data: ClaimIn) -> str:
    body = orjson.dumps(data.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _idempotent_replay(session: Session, actor: Principal, key: str, digest: str, now: datetime) -> uuid.UUID | None:
    """The claim a repeated request already created, or None when the key is new (or expired)."""
    stored = session.get(IdempotencyKey, (actor.id, key))
    if stored is None:
        return None
    if stored.created_at < now - IDEMPOTENCY_WINDOW:
        session.delete(stored)
        session.flush()
        return None
    if stored.request_sha256 != digest:
        raise InvalidInput("This Idempotency-Key was used with a different request body.", parameter="Idempotency-Key")
    return stored.claim_id


def create_claim(
    session: Session, actor: Principal, data: ClaimIn, idempotency_key: str | None = None
) -> tuple[uuid.UUID, bool]:
    """Record a claim as said. Returns its id and whether it was created now (False on an idempotent replay)."""
    require_role(actor, Role.ANALYST, "Posting a claim")
    now = ledger.clock(session)
    digest = _request_digest(data) if idempotency_key else ""
    if idempotency_key:
        replayed = _idempotent_replay(session, actor, idempotency_key, digest, now)
        if replayed is not None:
            return replayed, False
    values = data.model_dump()
    _check_references(session, values)
    claim_id = uuid.uuid4()  # known now, so the ledger event can name the claim before anything is written
    claim_row = {
        "id": claim_id,
        **{name: values[name] for name in _COLUMN_FIELDS},
        "created_by_id": actor.id,
        "created_at": now,
        "status": Status.CLAIMED.value,
        "status_changed_at": now,
        "version": 1,
    }

    def write() -> None:
        # Core inserts, not the ORM's unit of work: this is the hottest write path (issue 6's load test).
        session.execute(insert(Claim), [claim_row])
        for model, rows in (
            (ClaimPlace, _place_rows(claim_id, data.places)),
            (ClaimTag, _tag_rows(claim_id, data.tags)),
            (ClaimVia, _via_rows(claim_id, data.via)),
        ):
            if rows:
                session.execute(insert(model), rows)

    if data.external_id is None:
        write()  # no unique column but the new id: no savepoint needed
    else:
        insert_unique(session, write, lambda: _external_id_clash(session, data.external_id))
    ledger.append(
        session,
        "claim.created",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=data.source_id,
        to_status=Status.CLAIMED.value,
        at=now,
        payload={"claim": _to_payload(values)},
    )
    if idempotency_key:
        session.add(
            IdempotencyKey(
                actor_id=actor.id,
                key=idempotency_key,
                request_sha256=digest,
                claim_id=claim_id,
                created_at=now,
            )
        )
        session.flush()
    return claim_id, True


def _external_id_clash(session: Session, external_id: str | None) -> Conflict | None:
    existing = session.scalar(select(Claim.id).where(Claim.external_id == external_id)) if external_id else None
    if existing is None:
        return None
    return Conflict(f"A claim with external_id {external_id!r} exists already.", claim_id=str(existing))


def require_version(session: Session, claim_id: uuid.UUID, expected_version: int | None) -> Claim:
    if expected_version is None:
        raise PreconditionRequired("This change needs an If-Match header with the claim's current ETag.")
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if claim.version != expected_version:
        raise PreconditionFailed(
            f"The claim is at version {claim.version}, not {expected_version}: someone changed it. Reload and retry.",
            current_version=claim.version,
        )
    return claim


def bump_version(session: Session, claim_id: uuid.UUID, expected_version: int | None = None, **values: Any) -> int:
    """Increment the claim's version (and set `values`), checking `expected_version` in the WHERE clause.

    The check in the UPDATE itself, not only in the read before it, is what stops two concurrent
    writers that read the same version from both succeeding.
    """
    condition = Claim.id == claim_id
    if expected_version is not None:
        condition = and_(condition, Claim.version == expected_version)
    result = session.execute(
        update(Claim).where(condition).values(version=Claim.version + 1, **values).returning(Claim.version)
    ).first()
    if result is None:
        raise PreconditionFailed("The claim changed while this request was being handled. Reload and retry.")
    session.expire_all()
    return int(result[0])


def amend_claim(
    session: Session, actor: Principal, claim_id: uuid.UUID, patch: ClaimPatch, expected_version: int | None
) -> uuid.UUID:
    """Correct a claim's record; the ledger keeps the words it had before."""
    require_role(actor, Role.ANALYST, "Amending a claim")
    now = ledger.clock(session)
    require_version(session, claim_id, expected_version)
    changes = patch.model_dump(exclude_unset=True)
    for required in ("statement", "channel", "stated_at", "stated_at_precision"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be removed.", parameter=required)
    for listed in ("via", "places", "tags"):
        if listed in changes and changes[listed] is None:
            changes[listed] = []
    _check_references(session, changes)
    before_state = _current_states(session, [claim_id])[claim_id]
    before = _to_payload({name: before_state[name] for name in changes})
    after = _to_payload(changes)
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return claim_id
    columns = {name: changes[name] for name in changed if name in _COLUMN_FIELDS}
    event_start = changes.get("event_start", before_state["event_start"])
    event_end = changes.get("event_end", before_state["event_end"])
    if event_start and event_end and event_end < event_start:
        raise InvalidInput("event_end must not be before event_start.", parameter="event_end")
    bump_version(
        session,
        claim_id,
        expected_version,
        **{name: value.value if hasattr(value, "value") else value for name, value in columns.items()},
    )
    claim = session.get(Claim, claim_id)
    assert claim is not None
    if "places" in changed:
        _replace_rows(session, ClaimPlace, claim_id, _place_rows(claim_id, changes["places"]))
    if "tags" in changed:
        _replace_rows(session, ClaimTag, claim_id, _tag_rows(claim_id, changes["tags"]))
    if "via" in changed:
        _replace_rows(session, ClaimVia, claim_id, _via_rows(claim_id, changes["via"]))
    ledger.append(
        session,
        "claim.amended",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={
            "before": {name: before[name] for name in changed},
            "after": {name: after[name] for name in changed},
        },
    )
    _reopen_if_judged(session, actor, claim, changed, now)
    return claim_id


# A judged claim whose assertion is amended is judged again; a claim under review already is being judged.
_REOPENED_BY_AMENDMENT = frozenset(Status) - {Status.CLAIMED, Status.UNDER_REVIEW}


def _reopen_if_judged(session: Session, actor: Principal, claim: Claim, changed: list[str], now: datetime) -> None:
    """A verdict binds to the words it judged: amending the assertion of a reviewed (or retracted) claim moves
    it back to under_review, in the amendment's transaction, as its own status event by the amender."""
    amended = verdicts.changed_assertion_fields(changed)
    current = Status(claim.status)
    if not amended or current not in _REOPENED_BY_AMENDMENT:
        return
    version = bump_version(session, claim.id, claim.version, status=Status.UNDER_REVIEW.value, status_changed_at=now)
    ledger.append(
        session,
        "claim.status_changed",
        actor_id=actor.id,
        claim_id=claim.id,
        source_id=claim.source_id,
        from_status=current.value,
        to_status=Status.UNDER_REVIEW.value,
        rationale=(
            f"Reopened for review: the amendment changed {', '.join(amended)}, which the {current.value} "
            "status had judged."
        ),
        at=now,
        payload={"evidence_ids": [], "reopened_by_amendment": amended, "version": version},
    )
    verdicts.clear(session, claim.id)


def _replace_rows(session: Session, model: Any, claim_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(model).where(model.claim_id == claim_id).execution_options(synchronize_session=False))
    if rows:
        session.execute(insert(model), rows)


def add_evidence(session: Session, actor: Principal, claim_id: uuid.UUID, data: EvidenceIn) -> uuid.UUID:
    """Attach an evidence item (append-only) and record it in the ledger."""
    require_role(actor, Role.ANALYST, "Adding evidence")
    now = ledger.clock(session)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if data.url is None and data.document_id is None and data.related_claim_id is None and data.note is None:
        raise InvalidInput("Evidence needs at least one of url, document_id, related_claim_id or note.")
    if data.document_id is not None:
        require_document(session, data.document_id, "document_id")
    if data.related_claim_id is not None:
        if data.related_claim_id == claim_id:
            raise InvalidInput("A claim cannot be evidence for itself.", parameter="related_claim_id")
        if session.get(Claim, data.related_claim_id) is None:
            raise InvalidInput(
                f"related_claim_id: no claim has the id {data.related_claim_id}.",
                parameter="related_claim_id",
            )
    if data.provided_by_source_id is not None:
        sources.require_source(session, data.provided_by_source_id, "provided_by_source_id")
    item = Evidence(claim_id=claim_id, **data.model_dump(), added_by_id=actor.id, added_at=now)
    session.add(item)
    session.flush()
    bump_version(session, claim_id)
    ledger.append(
        session,
        "evidence.added",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={"evidence_id": str(item.id), **data.model_dump(mode="json")},
    )
    return item.id


def add_link(session: Session, actor: Principal, claim_id: uuid.UUID, data: LinkIn) -> uuid.UUID:
    """Link this claim to another (corroborates, contradicts, duplicates, supersedes)."""
    require_role(actor, Role.ANALYST, "Linking claims")
    now = ledger.clock(session)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    if data.to_claim == claim_id:
        raise Conflict("A claim cannot be linked to itself.")
    if session.get(Claim, data.to_claim) is None:
        raise InvalidInput(f"to_claim: no claim has the id {data.to_claim}.", parameter="to_claim")
    link = ClaimLink(
        from_claim_id=claim_id,
        to_claim_id=data.to_claim,
        kind=data.kind.value,
        created_by_id=actor.id,
        created_at=now,
    )
    already = f"This claim already {data.kind.value} {data.to_claim}."
    insert_unique(session, lambda: session.add(link), lambda: Conflict(already))
    bump_version(session, claim_id)
    ledger.append(
        session,
        "link.added",
        actor_id=actor.id,
        claim_id=claim_id,
        source_id=claim.source_id,
        at=now,
        payload={"link_id": str(link.id), "kind": data.kind.value, "to_claim_id": str(data.to_claim)},
    )
    return link.id


# ---- reading lists ---------------------------------------------------------------------------------


def parse_time_bound(value: str | None, parameter: str, *, end_of_day: bool = False) -> datetime | None:
    """A date or an ISO 8601 time; a bare date covers its whole day (UTC); naive times are UTC."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
        # An offset can carry a time at the edge of year 1 or 9999 outside what UTC can represent.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{parameter}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time.", parameter=parameter
        ) from None


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
    sort: str = "-stated_at"
    limit: int = 50
    cursor: str | None = None


def _status_at(as_of: datetime) -> Any:
    """The status a claim held at `as_of`: the last status-setting event up to then."""
    return (
        select(Event.to_status)
        .where(Event.claim_id == Claim.id, Event.at <= as_of, Event.to_status.is_not(None))
        .order_by(Event.seq.desc())
        .limit(1)
        .scalar_subquery()
    )


def _filtered(session: Session, query: ClaimQuery, resolved_sources: set[uuid.UUID] | None = None) -> Select[Any]:
    # Only the id, as the driver returns it (`_raw`): with the sort key added by the caller, an index can
    # answer the page without the table, and `_describe_current` binds the ids back unconverted.
    statement: Select[Any] = select(_raw(Claim.id))
    if query.sources:
        source_ids = resolved_sources or {
            sources.resolve_reference(session, value, "source") for value in query.sources
        }
        if query.include_children:
            source_ids = parties.descendants(session, source_ids)
        statement = statement.where(Claim.source_id.in_(source_ids))
    if query.statuses:
        status = _status_at(query.as_of) if query.as_of else Claim.status
        statement = statement.where(status.in_([value.value for value in query.statuses]))
    if query.as_of is not None:
        statement = statement.where(Claim.created_at <= query.as_of)
    if query.channel:
        statement = statement.where(Claim.channel == query.channel)
    if query.place:
        places = select(ClaimPlace.claim_id).where(ClaimPlace.name_key == sources.name_key(query.place))
        statement = statement.where(Claim.id.in_(places))
    if query.tag:
        tags = select(ClaimTag.claim_id).where(ClaimTag.tag_key == sources.name_key(query.tag))
        statement = statement.where(Claim.id.in_(tags))
    if query.stated_from:
        statement = statement.where(Claim.stated_at >= query.stated_from)
    if query.stated_to:
        statement = statement.where(Claim.stated_at <= query.stated_to)
    if query.recorded_from:
        statement = statement.where(Claim.created_at >= query.recorded_from)
    if query.recorded_to:
        statement = statement.where(Claim.created_at <= query.recorded_to)
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


def _sort_column(query: ClaimQuery, rank: Any) -> Any:
    if query.sort == "relevance":
        if rank is None:
            raise InvalidInput("sort=relevance ranks full-text matches: give q as well.", parameter="sort")
        return rank
    return Claim.created_at if query.sort == "-recorded_at" else Claim.stated_at


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


def list_claims(
    session: Session, query: ClaimQuery, secret: str, *, resolved_sources: set[uuid.UUID] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Claims matching every filter, keyset-paged in the requested order (never OFFSET).

    `resolved_sources`: the ids `query.sources` names, when the caller has already checked that they exist.
    """
    statement = _filtered(session, query, resolved_sources)
    rank = None
    chunked_terms = None
    if query.q is not None:
        terms = search.parse(query.q)
        if not terms:  # nothing searchable was typed (only punctuation): nothing can match
            return [], None
        statement, rank, walk_in_chunks = _restrict_to_matches(session, statement, terms, query.sort)
        chunked_terms = terms if walk_in_chunks else None
    column = _sort_column(query, rank)
    descending = query.sort.startswith("-")
    bound_type = None if rank is not None else column.type
    dialect = session.get_bind().dialect
    ids = _IdReader(dialect)

    def after(value: Any, last_raw_id: Any) -> Any:
        key = tuple_(column, Claim.id)
        bound = tuple_(literal(value, bound_type), literal(last_raw_id, _RAW_ID))
        return key < bound if descending else key > bound

    if query.cursor:
        last_value, last_id = decode_cursor(secret, query.sort, query.cursor)
        bound_value = float(last_value) if query.sort == "relevance" else datetime.fromisoformat(last_value)
        statement = statement.where(after(bound_value, _raw_ids(dialect, [uuid.UUID(last_id)])[0]))
    order = (column.desc(), Claim.id.desc()) if descending else (column.asc(), Claim.id.asc())
    statement = statement.add_columns(column.label("sort_key")).order_by(*order)
    session.flush()  # Core execution (plain rows, no ORM loading) does not autoflush
    connection = session.connection()
    if chunked_terms is None:
        rows = connection.execute(statement.limit(query.limit + 1)).all()
    else:
        with_rowid = statement.add_columns(literal_column("claims.rowid").label("claim_rowid"))

        def page(last: Any) -> Select[Any]:
            return with_rowid if last is None else with_rowid.where(after(last.sort_key, last.id))

        rows = _matching_rows_in_chunks(connection, page, chunked_terms, query.limit + 1)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        value = last.sort_key if query.sort == "relevance" else last.sort_key.isoformat()
        next_cursor = encode_cursor(secret, query.sort, [value, str(ids.required(last.id))])
    if query.as_of is None:
        return _describe_current(session, [row.id for row in rows]), next_cursor
    return describe(session, [ids.required(row.id) for row in rows], query.as_of), next_cursor


_SOURCE_EXISTS = select(Source.id).where(Source.id == bindparam("source_id"))


def list_source_claims(
    session: Session, source_id: uuid.UUID, *, include_children: bool, limit: int, cursor: str | None, secret: str
) -> tuple[list[dict[str, Any]], str | None]:
    """A source's claims (404 for an unknown source, where the list filter's unknown source is a 422)."""
    query = ClaimQuery(sources=[str(source_id)], include_children=include_children, limit=limit, cursor=cursor)
    items, next_cursor = list_claims(session, query, secret, resolved_sources={source_id})
    # A claim names its source through a foreign key, so only an empty page leaves the source's existence open.
    if not items and session.connection().execute(_SOURCE_EXISTS, {"source_id": source_id}).first() is None:
        raise NotFound(f"No source has the id {source_id}.")
    return items, next_cursor


def history(session: Session, claim_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every ledger event about the claim, oldest first."""
    if session.get(Claim, claim_id) is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    return describe_events(session, select(Event).where(Event.claim_id == claim_id).order_by(Event.seq))
