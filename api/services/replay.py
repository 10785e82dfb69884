"""What is served, checked against the ledger: replay the events and compare what they imply with what is stored.

The API answers from projections (claims and their places, tags and intermediaries, evidence, links, verdicts,
sources with their names, documents, actors, keys). The hash chain proves the events were not edited; this
proves the projections still say what the events say, so a row changed behind the ledger's back (a status set
by SQL, a deleted evidence row, an alias added) is named.

Claims are replayed a batch at a time in id order: each batch's rows, and the events, child rows, evidence,
links and verdicts whose claim id falls in the batch's id range, so memory stays flat whatever the number of
claims, and ranges that cover the whole id space leave no row or event unvisited. Documents are streamed in
ledger order. Sources, actors and keys are few (one per party, person or key) and held whole.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Text, Uuid, and_, cast, func, select, true
from sqlalchemy.orm import Session

from api.services import verdicts
from api.services.common import id_as_text
from api.services.sources import name_key
from models import (
    Actor,
    ApiKey,
    Claim,
    ClaimLink,
    ClaimPlace,
    ClaimTag,
    ClaimVia,
    Document,
    Event,
    Evidence,
    Source,
    SourceName,
    Verdict,
    VerdictEvidence,
)
from models.vocabulary import REVIEWED_STATUSES

MAX_MISMATCHES = 100
CLAIM_BATCH = 2000
DOCUMENT_BATCH = 2000
_FETCH = 5000
# A row that one side has and the other lacks is reported under this field name.
ROW = "(row)"

_REVIEWED = frozenset(status.value for status in REVIEWED_STATUSES)
_CLAIM_COLUMNS = (
    "statement", "quote", "source_id", "speaker_id", "channel", "channel_detail", "document_id", "stated_at",
    "stated_at_precision", "event_start", "event_end", "language", "external_id", "status", "status_changed_at",
    "version", "created_by_id", "created_at", "seconds_to_first_review",
)  # fmt: skip
_RECORDED_IDS = frozenset({"source_id", "speaker_id", "document_id"})
_RECORDED_TIMES = frozenset({"stated_at", "event_start", "event_end"})
_EVIDENCE_COLUMNS = (
    "claim_id", "stance", "kind", "url", "document_id", "related_claim_id", "provided_by_source_id", "note",
    "added_by_id", "added_at",
)  # fmt: skip
_SOURCE_FIELDS = ("name", "kind", "affiliation", "parent_id", "role", "reliability", "url")
_DOCUMENT_FIELDS = ("title", "url", "outlet_id", "published_at", "retrieved_at", "content_sha256")
_EVENT_COLUMNS = ("seq", "type", "actor_id", "at", "claim_id", "source_id", "to_status")
# The claim columns its creation event's payload gives; the rest follow from the events themselves.
_RECORDED_COLUMNS = frozenset(_CLAIM_COLUMNS) - {
    "status", "status_changed_at", "version", "created_by_id", "created_at", "seconds_to_first_review",
}  # fmt: skip


def _shown(value: Any) -> Any:
    """A value as JSON can carry it, for a mismatch report."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value]
    return value


def _as_id(value: Any) -> str | None:
    """An id as this module compares ids: lower-case hyphenated text (payloads already hold ids so)."""
    return None if value is None else str(value).lower()


def _id(value: Any) -> str:
    """`_as_id` of a value that is never null."""
    return str(value).lower()


def _id_text(session: Session, column: Any) -> Any:
    return id_as_text(session.get_bind().dialect, column)


def _columns(session: Session, model: Any, names: Iterable[str]) -> list[Any]:
    """The model's columns by name, UUID columns as `_id_text`."""
    picked = []
    for name in names:
        column = getattr(model, name)
        picked.append(_id_text(session, column) if isinstance(column.type, Uuid) else column)
    return picked


def _as_time(value: Any) -> datetime | None:
    return None if value is None else value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _same(stored: Any, ledger: Any) -> bool:
    if isinstance(stored, float) and isinstance(ledger, float):
        # Waits are written as seconds from microseconds; the same instants may round in the last bit.
        return abs(stored - ledger) < 1e-6
    return bool(stored == ledger)


@dataclass
class Report:
    """Mismatches found (the first MAX_MISMATCHES of them) and the rows checked per table."""

    mismatches: list[dict[str, Any]] = field(default_factory=list)
    found: int = 0
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, table: str, row_id: Any, name: str, stored: Any, ledger: Any) -> None:
        self.found += 1
        if len(self.mismatches) < MAX_MISMATCHES:
            self.mismatches.append(
                {
                    "table": table,
                    "id": _shown(row_id),
                    "field": name,
                    "stored": _shown(stored),
                    "ledger": _shown(ledger),
                }
            )

    def compare(self, table: str, row_id: Any, stored: Mapping[str, Any], expected: Mapping[str, Any]) -> None:
        if {name: stored[name] for name in expected} == expected:
            return  # the common case, in one comparison
        for name, value in expected.items():
            if not _same(stored[name], value):
                self.add(table, row_id, name, stored[name], value)

    def compare_rows(
        self,
        table: str,
        stored: Mapping[Any, Mapping[str, Any]],
        expected: Mapping[Any, Mapping[str, Any]],
    ) -> None:
        """Rows keyed by id on both sides: each present on both compared, each present on one side named."""
        for row_id, row in expected.items():
            if row_id in stored:
                self.compare(table, row_id, stored[row_id], row)
            else:
                self.add(table, row_id, ROW, None, "exists")
        for row_id in stored.keys() - expected.keys():
            self.add(table, row_id, ROW, "exists", None)
        self.checked[table] += len(stored)


def _payload(text: Any) -> dict[str, Any]:
    value = orjson.loads(text) if isinstance(text, str | bytes) else text
    return value if isinstance(value, dict) else {}


class _EventRow(NamedTuple):
    seq: int
    type: str
    actor_id: str | None
    at: datetime
    claim_id: str | None
    source_id: str | None
    to_status: str | None
    payload: dict[str, Any]


def _events(
    session: Session, *conditions: ColumnElement[bool], order: Iterable[Any] = (Event.seq,)
) -> Iterator[_EventRow]:
    """Events as plain rows, the payload read as text and decoded by orjson (far quicker than the JSON type's)."""
    statement = select(*_columns(session, Event, _EVENT_COLUMNS), cast(Event.payload, Text)).where(*conditions)
    # Fetched in slices (fetchmany), not row by row: the per-row fetch is a large share of reading millions.
    result = session.connection().execute(statement.order_by(*order), execution_options={"yield_per": _FETCH})
    for rows in result.partitions():
        for seq, type_, actor_id, at, claim_id, source_id, to_status, payload in rows:
            yield _EventRow(seq, type_, actor_id, at, claim_id, source_id, to_status, _payload(payload))


# ---- claims and what hangs off them ----------------------------------------------------------------------


@dataclass
class _ClaimReplay:
    """One claim as its events build it, and the rows its events imply beside it."""

    columns: dict[str, Any]
    places: list[str]
    tags: list[str]
    via: list[str]
    evidence_ids: list[str] = field(default_factory=list)
    verdict: dict[str, Any] | None = None
    verdict_evidence: set[str] = field(default_factory=set)

    def assertion(self) -> dict[str, Any]:
        state = {**self.columns, "places": self.places, "via": self.via}
        return {name: state[name] for name in verdicts.ASSERTION_FIELDS}


def _recorded(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded fields from an event payload (`claims.to_payload`'s form) as the row stores them."""
    values: dict[str, Any] = {}
    for name, value in payload.items():
        if name in _RECORDED_IDS:
            values[name] = _as_id(value)
        elif name in _RECORDED_TIMES:
            values[name] = _as_time(value)
        elif name == "via":
            values[name] = [_as_id(item) for item in value]
        else:
            values[name] = value
    return values


class _ClaimBatch:
    """Replays the events of one id range of claims."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.claims: dict[str, _ClaimReplay] = {}
        self.evidence: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}

    def apply(self, event: Any) -> None:
        claim_id = event.claim_id
        replay = self.claims.get(claim_id)
        payload = event.payload
        if event.type in ("claim.created", "claim.imported"):
            recorded = _recorded(payload.get("claim", {}))
            imported = event.type == "claim.imported"
            status = event.to_status
            columns = {name: recorded.get(name) for name in _CLAIM_COLUMNS if name in _RECORDED_COLUMNS}
            columns.update(
                status=status,
                status_changed_at=_as_time(payload.get("status_changed_at")) if imported else event.at,
                version=1,
                created_by_id=_as_id(payload.get("created_by_id")) if imported else event.actor_id,
                created_at=event.at,
                seconds_to_first_review=0.0 if imported and status in _REVIEWED else None,
            )
            if columns["status_changed_at"] is None:
                columns["status_changed_at"] = event.at
            replay = _ClaimReplay(columns, list(recorded.get("places", [])), list(recorded.get("tags", [])), [])
            replay.via = list(recorded.get("via", []))
            self.claims[claim_id] = replay
            if imported and status in _REVIEWED:
                self._judge(replay, event, imported=True)
            return
        if replay is None:
            self.report.add("events", event.seq, "claim_id", None, f"{event.type} before the claim was recorded")
            return
        columns = replay.columns
        if event.type == "claim.amended":
            columns["version"] += 1
            after = _recorded(payload.get("after", {}))
            for name, value in after.items():
                if name == "places":
                    replay.places = list(value)
                elif name == "tags":
                    replay.tags = list(value)
                elif name == "via":
                    replay.via = list(value)
                else:
                    columns[name] = value
        elif event.type == "claim.status_changed":
            columns["version"] += 1
            columns["status"] = event.to_status
            columns["status_changed_at"] = event.at
            if event.to_status in _REVIEWED:
                if columns["seconds_to_first_review"] is None:
                    columns["seconds_to_first_review"] = (event.at - columns["created_at"]).total_seconds()
                self._judge(replay, event, imported=False)
            else:
                replay.verdict, replay.verdict_evidence = None, set()
        elif event.type == "evidence.added":
            columns["version"] += 1
            evidence_id = _id(payload["evidence_id"])
            replay.evidence_ids.append(evidence_id)
            self.evidence[evidence_id] = {
                "claim_id": claim_id,
                "stance": payload.get("stance"),
                "kind": payload.get("kind"),
                "url": payload.get("url"),
                "document_id": _as_id(payload.get("document_id")),
                "related_claim_id": _as_id(payload.get("related_claim_id")),
                "provided_by_source_id": _as_id(payload.get("provided_by_source_id")),
                "note": payload.get("note"),
                "added_by_id": event.actor_id,
                "added_at": event.at,
            }
        elif event.type == "link.added":
            columns["version"] += 1
            self.links[_id(payload["link_id"])] = {
                "from_claim_id": claim_id,
                "to_claim_id": _as_id(payload.get("to_claim_id")),
                "kind": payload.get("kind"),
                "created_by_id": event.actor_id,
                "created_at": event.at,
            }

    def _judge(self, replay: _ClaimReplay, event: Any, *, imported: bool) -> None:
        """The verdict an event made: its recorded basis, which must describe the claim as it then stood."""
        digest = verdicts.assertion_sha256(replay.assertion())
        basis = event.payload.get("basis")
        if basis is None:
            # Recorded before verdicts carried their basis: what migration 0006 reconstructed from the events.
            named = [_id(item) for item in event.payload.get("evidence_ids") or []]
            counted = set(named or replay.evidence_ids)
        else:
            if basis.get("assertion_sha256") != digest:
                self.report.add(
                    "events", event.seq, "payload.basis.assertion_sha256", basis.get("assertion_sha256"), digest
                )
            counted = {_id(item["id"]) for item in basis.get("evidence", [])}
            if not counted <= set(replay.evidence_ids):
                self.report.add("events", event.seq, "payload.basis.evidence", "evidence of another claim", None)
        replay.verdict = {"event_seq": event.seq, "assertion_sha256": digest, "imported": imported}
        replay.verdict_evidence = counted


def _range(column: Any, low: str | None, high: str | None) -> ColumnElement[bool]:
    """`low < column <= high` for ids given as text, either end open when None (events about no claim are never
    in range)."""
    lower = column > uuid.UUID(low) if low is not None else column.is_not(None)
    upper = column <= uuid.UUID(high) if high is not None else true()
    return and_(lower, upper)


def _check_claims(session: Session, report: Report) -> None:
    low: str | None = None
    while True:
        rows = (
            session.connection()
            .execute(
                select(*_columns(session, Claim, ("id", *_CLAIM_COLUMNS)))
                .where(Claim.id > uuid.UUID(low) if low is not None else true())
                .order_by(Claim.id)
                .limit(CLAIM_BATCH)
            )
            .all()
        )
        high = rows[-1].id if rows else None
        _check_claim_range(session, report, {row.id: row._asdict() for row in rows}, low, high)
        if high is None or len(rows) < CLAIM_BATCH:
            if high is not None:
                _check_claim_range(session, report, {}, high, None)  # events or rows beyond the last claim
            return
        low = high


def _listed(
    session: Session, model: Any, names: tuple[str, ...], low: str | None, high: str | None
) -> dict[str, list[tuple[Any, ...]]]:
    """A claim's places, tags or intermediaries in order, by claim id, for the claims in the id range."""
    listed: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for claim_id, *values in session.connection().execute(
        select(*_columns(session, model, ("claim_id", *names)))
        .where(_range(model.claim_id, low, high))
        .order_by(model.claim_id, model.position)
    ):
        listed[claim_id].append(tuple(values))
    return listed


def _check_claim_range(
    session: Session, report: Report, stored: dict[str, dict[str, Any]], low: Any, high: Any
) -> None:
    batch = _ClaimBatch(report)
    for event in _events(session, _range(Event.claim_id, low, high), order=(Event.claim_id, Event.seq)):
        batch.apply(event)
    places_and_keys = _listed(session, ClaimPlace, ("name", "name_key"), low, high)
    tags_and_keys = _listed(session, ClaimTag, ("tag", "tag_key"), low, high)
    places = {claim_id: [name for name, _key in rows] for claim_id, rows in places_and_keys.items()}
    place_keys = {claim_id: [key for _name, key in rows] for claim_id, rows in places_and_keys.items()}
    tags = {claim_id: [tag for tag, _key in rows] for claim_id, rows in tags_and_keys.items()}
    tag_keys = {claim_id: [key for _tag, key in rows] for claim_id, rows in tags_and_keys.items()}
    via = {
        claim_id: [source_id for (source_id,) in rows]
        for claim_id, rows in _listed(session, ClaimVia, ("source_id",), low, high).items()
    }
    expected = {claim_id: replay.columns for claim_id, replay in batch.claims.items()}
    report.compare_rows("claims", stored, expected)
    for table, listed, name in (("claim_places", places, "places"), ("claim_tags", tags, "tags")):
        for claim_id in listed.keys() - batch.claims.keys():
            report.add(table, claim_id, name, listed[claim_id], None)
    for claim_id in via.keys() - batch.claims.keys():
        report.add("claim_via", claim_id, "via", via[claim_id], None)
    verdict_rows = {
        row.claim_id: row._asdict()
        for row in session.connection().execute(
            select(
                *_columns(
                    session, Verdict, ("claim_id", "event_seq", "assertion_sha256", "assertion_matches", "imported")
                )
            ).where(_range(Verdict.claim_id, low, high))
        )
    }
    counted: dict[str, set[str]] = defaultdict(set)
    for claim_id, evidence_id in session.connection().execute(
        select(*_columns(session, VerdictEvidence, ("claim_id", "evidence_id"))).where(
            _range(VerdictEvidence.claim_id, low, high)
        )
    ):
        counted[claim_id].add(evidence_id)
    expected_verdicts: dict[str, dict[str, Any]] = {}
    for claim_id, replay in batch.claims.items():
        if replay.places != places.get(claim_id, []):
            report.add("claim_places", claim_id, "places", places.get(claim_id, []), replay.places)
        if place_keys.get(claim_id, []) != [name_key(name) for name in places.get(claim_id, [])]:
            report.add("claim_places", claim_id, "name_key", place_keys.get(claim_id, []), None)
        if replay.tags != tags.get(claim_id, []):
            report.add("claim_tags", claim_id, "tags", tags.get(claim_id, []), replay.tags)
        if tag_keys.get(claim_id, []) != [name_key(tag) for tag in tags.get(claim_id, [])]:
            report.add("claim_tags", claim_id, "tag_key", tag_keys.get(claim_id, []), None)
        if replay.via != via.get(claim_id, []):
            report.add("claim_via", claim_id, "via", via.get(claim_id, []), replay.via)
        if replay.verdict is not None:
            matches = replay.verdict["assertion_sha256"] == verdicts.assertion_sha256(replay.assertion())
            expected_verdicts[claim_id] = {**replay.verdict, "assertion_matches": matches}
            if counted.get(claim_id, set()) != replay.verdict_evidence:
                report.add(
                    "verdict_evidence",
                    claim_id,
                    "evidence_id",
                    sorted(map(str, counted.get(claim_id, set()))),
                    sorted(map(str, replay.verdict_evidence)),
                )
    for claim_id in counted.keys() - expected_verdicts.keys():
        report.add("verdict_evidence", claim_id, ROW, "exists", None)
    report.compare_rows("verdicts", verdict_rows, expected_verdicts)
    evidence_rows = {
        row.id: row._asdict()
        for row in session.connection().execute(
            select(*_columns(session, Evidence, ("id", *_EVIDENCE_COLUMNS))).where(_range(Evidence.claim_id, low, high))
        )
    }
    report.compare_rows("evidence", evidence_rows, batch.evidence)
    link_rows = {
        row.id: row._asdict()
        for row in session.connection().execute(
            select(
                *_columns(
                    session, ClaimLink, ("id", "from_claim_id", "to_claim_id", "kind", "created_by_id", "created_at")
                )
            ).where(_range(ClaimLink.from_claim_id, low, high))
        )
    }
    report.compare_rows("claim_links", link_rows, batch.links)


# ---- sources, documents, actors, keys ----------------------------------------------------------------------


def _check_sources(session: Session, report: Report) -> None:
    expected: dict[str, dict[str, Any]] = {}
    for event in _events(session, Event.type.in_(("source.created", "source.updated"))):
        after = event.payload.get("after", {})
        if event.source_id is None:
            report.add("events", event.seq, "source_id", None, f"{event.type} names no source")
            continue
        if event.type == "source.created":
            expected[event.source_id] = {
                **{name: after.get(name) for name in _SOURCE_FIELDS},
                "aliases": list(after.get("aliases", [])),
                "created_at": event.at,
                "updated_at": event.at,
            }
            continue
        state = expected.get(event.source_id)
        if state is None:
            report.add("events", event.seq, "source_id", None, "source.updated before the source was recorded")
            continue
        state.update({name: value for name, value in after.items() if name in state})
        state["updated_at"] = event.at
    for state in expected.values():
        state["parent_id"] = _as_id(state["parent_id"])
    names: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for source_id, name, key, is_alias in session.connection().execute(
        select(*_columns(session, SourceName, ("source_id", "name", "name_key", "is_alias"))).order_by(
            SourceName.source_id, SourceName.position
        )
    ):
        names[source_id].append((name, key, is_alias))
    stored: dict[str, dict[str, Any]] = {}
    for row in session.connection().execute(
        select(*_columns(session, Source, ("id", *_SOURCE_FIELDS, "created_at", "updated_at")))
    ):
        listed = names.get(row.id, [])
        stored[row.id] = {**row._asdict(), "aliases": [name for name, _key, alias in listed if alias]}
        primary = [name for name, _key, alias in listed if not alias]
        if primary != [row.name]:
            report.add("source_names", row.id, "name", primary, [row.name])
        for name, key, _alias in listed:
            if key != name_key(name):
                report.add("source_names", row.id, "name_key", key, name_key(name))
    for source_id in names.keys() - stored.keys():
        report.add("source_names", source_id, ROW, "exists", None)
    report.compare_rows("sources", stored, expected)


def _check_documents(session: Session, report: Report) -> None:
    total_events = 0
    batch: list[Any] = []

    def check(events: list[Any]) -> None:
        wanted = {_id(event.payload["document_id"]): event for event in events}
        stored = {
            row.id: row._asdict()
            for row in session.connection().execute(
                select(*_columns(session, Document, ("id", *_DOCUMENT_FIELDS, "created_by_id", "created_at"))).where(
                    Document.id.in_([uuid.UUID(document_id) for document_id in wanted])
                )
            )
        }  # fmt: skip
        expected = {}
        for document_id, event in wanted.items():
            after = event.payload.get("after", {})
            expected[document_id] = {
                "title": after.get("title"),
                "url": after.get("url"),
                "outlet_id": _as_id(after.get("outlet_id")),
                "published_at": _as_time(after.get("published_at")),
                "retrieved_at": _as_time(after.get("retrieved_at")),
                "content_sha256": after.get("content_sha256"),
                "created_by_id": event.actor_id,
                "created_at": event.at,
            }
        report.compare_rows("documents", stored, expected)

    for event in _events(session, Event.type == "document.created"):
        total_events += 1
        batch.append(event)
        if len(batch) >= DOCUMENT_BATCH:
            check(batch)
            batch = []
    if batch:
        check(batch)
    stored_total = session.scalar(select(func.count()).select_from(Document)) or 0
    if stored_total > total_events:
        # Rows no event created: found by a second look, only in this case.
        recorded = {_id(event.payload["document_id"]) for event in _events(session, Event.type == "document.created")}
        for (document_id,) in session.connection().execute(select(_id_text(session, Document.id))):
            if document_id not in recorded:
                report.add("documents", document_id, ROW, "exists", None)
                report.checked["documents"] += 1


def _check_actors_and_keys(session: Session, report: Report) -> None:
    actors: dict[str, dict[str, Any]] = {}
    keys: dict[str, dict[str, Any]] = {}
    types = ("actor.created", "key.created", "key.revoked")
    for event in _events(session, Event.type.in_(types)):
        payload = event.payload
        if event.type == "actor.created":
            actors[_id(payload["actor_id"])] = {
                "name": payload.get("name"),
                "role": payload.get("role"),
                "created_at": event.at,
            }
        elif event.type == "key.created":
            keys[payload["prefix"]] = {
                "actor_id": _as_id(payload.get("actor_id")),
                "created_at": event.at,
                "revoked_at": None,
            }
        elif payload.get("prefix") in keys:
            keys[payload["prefix"]]["revoked_at"] = event.at
        else:
            report.add("events", event.seq, "payload.prefix", None, "key.revoked for a key never created")
    stored_actors = {
        row.id: row._asdict()
        for row in session.connection().execute(select(*_columns(session, Actor, ("id", "name", "role", "created_at"))))
    }
    report.compare_rows("actors", stored_actors, actors)
    stored_keys = {
        row.prefix: row._asdict()
        for row in session.connection().execute(
            select(*_columns(session, ApiKey, ("prefix", "actor_id", "created_at", "revoked_at")))
        )
    }
    report.compare_rows("api_keys", stored_keys, keys)


CHECKS: tuple[Callable[[Session, Report], None], ...] = (
    _check_claims,
    _check_sources,
    _check_documents,
    _check_actors_and_keys,
)


def compare_projections(session: Session) -> Report:
    """Every projection compared with what the ledger implies; the report names each differing row and field."""
    report = Report()
    for check in CHECKS:
        check(session, report)
    return report
