"""What is served, checked against the ledger: replay the events and compare what they imply with what is stored.

The API answers from projections (claims and their places, tags and intermediaries, evidence, links, verdicts,
sources with their names, documents, actors, keys). The hash chain proves the events were not edited; this
proves the projections still say what the events say, so a row changed behind the ledger's back (a status set
by SQL, a deleted evidence row, an alias added) is named.

Claims are replayed a batch at a time in id order: each batch's rows, and the events, child rows, evidence,
links and verdicts whose claim id falls in the batch's id range, so memory stays flat whatever the number of
claims, and ranges that cover the whole id space leave no row or event unvisited. Documents are streamed in
ledger order. Sources, actors and keys are few (one per party, person or key) and held whole. Rows are read
through `driver_reads.DriverReader`, ids compared in its `key` form.

One module, over 400 lines, because the replay of every projection shares one pass over the ledger and one
way of naming a mismatch: split by table, the batches would each re-read the events.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, Select, Text, Uuid, and_, bindparam, cast, func, select, true
from sqlalchemy.orm import Session

from api.services import verdicts
from api.services.claims.records import place_state
from api.services.driver_reads import DriverReader
from api.services.names import name_key
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
# The tables compared, in the order a report lists them.
TABLE_ORDER = ("claims", "verdicts", "evidence", "claim_links", "sources", "documents", "actors", "api_keys")
# A row that one side has and the other lacks is reported under this field name.
ROW = "(row)"

_REVIEWED = frozenset(status.value for status in REVIEWED_STATUSES)
_CLAIM_COLUMNS = (
    "statement", "quote", "source_id", "speaker_id", "channel", "channel_detail", "document_id", "stated_at",
    "stated_at_precision", "event_start", "event_end", "event_precision", "language", "external_id", "status",
    "status_changed_at", "version", "created_by_id", "created_at", "seconds_to_first_review",
)  # fmt: skip
# The claim columns its creation event's payload gives; the rest follow from the events themselves.
_RECORDED_COLUMNS = tuple(
    name
    for name in _CLAIM_COLUMNS
    if name not in ("status", "status_changed_at", "version", "created_by_id", "created_at", "seconds_to_first_review")
)
_RECORDED_IDS = frozenset({"source_id", "speaker_id", "document_id"})
_RECORDED_TIMES = frozenset({"stated_at", "event_start", "event_end"})
_EVIDENCE_COLUMNS = (
    "claim_id", "stance", "kind", "url", "document_id", "related_claim_id", "provided_by_source_id", "note",
    "added_by_id", "added_at",
)  # fmt: skip
_LINK_COLUMNS = ("from_claim_id", "to_claim_id", "kind", "created_by_id", "created_at")
_VERDICT_COLUMNS = ("event_seq", "assertion_sha256", "assertion_matches", "imported")
_SOURCE_FIELDS = ("name", "kind", "affiliation", "parent_id", "role", "reliability", "url")
_DOCUMENT_FIELDS = ("title", "url", "outlet_id", "published_at", "retrieved_at", "content_sha256")
_EVENT_COLUMNS = ("seq", "type", "actor_id", "at", "claim_id", "source_id", "to_status")
# Fields whose values are ids (or lists of ids), shown hyphenated in a report.
_ID_VALUES = frozenset(
    {
        "source_id", "speaker_id", "document_id", "created_by_id", "claim_id", "related_claim_id",
        "provided_by_source_id", "added_by_id", "from_claim_id", "to_claim_id", "parent_id", "outlet_id",
        "actor_id", "via", "evidence_id",
    }
)  # fmt: skip


def _shown(value: Any) -> Any:
    """A value as JSON can carry it, for a mismatch report."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return [_shown(item) for item in value]
    return value


def _same(stored: Any, ledger: Any) -> bool:
    if isinstance(stored, float) and isinstance(ledger, float):
        # Waits are written as seconds from microseconds; the same instants may round in the last bit.
        return abs(stored - ledger) < 1e-6
    return bool(stored == ledger)


@dataclass
class Report:
    """Mismatches found (the first MAX_MISMATCHES of them) and the rows checked per table."""

    reader: DriverReader
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    found: int = 0
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: Report | Mapping[str, Any]) -> None:
        """Add another part's findings (a `Report`, or its `as_dict`)."""
        found = other.as_dict() if isinstance(other, Report) else other
        self.found += found["found"]
        self.mismatches.extend(found["mismatches"][: MAX_MISMATCHES - len(self.mismatches)])
        for table, count in found["checked"].items():
            self.checked[table] += count

    def as_dict(self) -> dict[str, Any]:
        return {"found": self.found, "mismatches": self.mismatches, "checked": dict(self.checked)}

    def _show_ids(self, name: str, value: Any) -> Any:
        if name not in _ID_VALUES:
            return value
        if isinstance(value, list | tuple | set):
            return [self.reader.shown(item) for item in value]
        return self.reader.shown(value)

    def add(self, table: str, row_id: Any, name: str, stored: Any, ledger: Any) -> None:
        self.found += 1
        if len(self.mismatches) < MAX_MISMATCHES:
            self.mismatches.append(
                {
                    "table": table,
                    "id": _shown(self.reader.shown(row_id)),
                    "field": name,
                    "stored": _shown(self._show_ids(name, stored)),
                    "ledger": _shown(self._show_ids(name, ledger)),
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


class _EventRow(NamedTuple):
    seq: int
    type: str
    actor_id: str | None
    at: datetime
    claim_id: str | None
    source_id: str | None
    to_status: str | None
    payload: dict[str, Any]


class _Reads:
    """The statements one verification runs, built once, and the rows they return in `DriverReader`'s forms."""

    def __init__(self, session: Session, reader: DriverReader) -> None:
        self.session = session
        self.reader = reader
        self._statements: dict[Any, Select[Any]] = {}

    def columns(self, model: Any, names: Iterable[str]) -> list[Any]:
        picked = []
        for name in names:
            column = getattr(model, name)
            picked.append(self.reader.id_column(column) if isinstance(column.type, Uuid) else column)
        return picked

    def statement(self, key: Any, build: Callable[[], Select[Any]]) -> Select[Any]:
        found = self._statements.get(key)
        if found is None:
            found = self._statements[key] = build()
        return found

    def events(self, name: str, where: Callable[[], ColumnElement[bool]], params: Mapping[str, Any]) -> list[_EventRow]:
        """Events (`where` built once under `name`), ordered by claim then seq for claim ranges, else by seq."""

        def build() -> Select[Any]:
            order = (Event.claim_id, Event.seq) if name.startswith("claims") else (Event.seq,)
            return (
                select(*self.columns(Event, _EVENT_COLUMNS), cast(Event.payload, Text)).where(where()).order_by(*order)
            )

        required_time = self.reader.required_time
        return [
            _EventRow(seq, type_, actor_id, required_time(at), claim_id, source_id, to_status, _payload(payload))
            for seq, type_, actor_id, at, claim_id, source_id, to_status, payload in self.reader.rows(
                self.statement(("events", name), build), params
            )
        ]


def _payload(text: Any) -> dict[str, Any]:
    value = orjson.loads(text) if isinstance(text, str | bytes) else text
    return value if isinstance(value, dict) else {}


# ---- claims and what hangs off them ----------------------------------------------------------------------


@dataclass
class _ClaimReplay:
    """One claim as its events build it, and the rows its events imply beside it."""

    columns: dict[str, Any]
    places: list[Any]
    tags: list[str]
    via: list[str]
    evidence_ids: list[str] = field(default_factory=list)
    verdict: dict[str, Any] | None = None
    verdict_evidence: set[str] = field(default_factory=set)
    # Whether the assertion changed after the verdict, so its digest must be taken again at the end.
    amended_since_verdict: bool = False

    def assertion(self) -> dict[str, Any]:
        state = {**self.columns, "places": self.places, "via": self.via}
        return {name: state[name] for name in verdicts.ASSERTION_FIELDS}


class _ClaimBatch:
    """Replays the events of one id range of claims."""

    def __init__(self, report: Report, reader: DriverReader) -> None:
        self.report = report
        self.key = reader.key
        self.time = reader.time
        self.claims: dict[str, _ClaimReplay] = {}
        self.evidence: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}

    def recorded(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Recorded fields from an event payload (`claims.to_payload`'s form) as the row holds them."""
        values = dict(payload)
        key, time = self.key, self.time
        for name in _RECORDED_IDS:
            if name in values:
                values[name] = key(values[name])
        for name in _RECORDED_TIMES:
            if name in values:
                values[name] = time(values[name])
        if "via" in values:
            values["via"] = [key(item) for item in values["via"]]
        return values

    def apply(self, event: _EventRow) -> None:
        claim_id = event.claim_id
        assert claim_id is not None
        replay = self.claims.get(claim_id)
        payload = event.payload
        kind = event.type
        if kind == "claim.created" or kind == "claim.imported":
            self._create(event, claim_id, imported=kind == "claim.imported")
            return
        if replay is None:
            self.report.add("events", event.seq, "claim_id", None, f"{kind} before the claim was recorded")
            return
        columns = replay.columns
        if kind == "claim.amended":
            columns["version"] += 1
            for name, value in self.recorded(payload.get("after", {})).items():
                if name == "places":
                    replay.places = list(value)
                elif name == "tags":
                    replay.tags = list(value)
                elif name == "via":
                    replay.via = list(value)
                else:
                    columns[name] = value
                if name in verdicts.ASSERTION_FIELDS:
                    replay.amended_since_verdict = True
        elif kind == "claim.status_changed":
            columns["version"] += 1
            columns["status"] = event.to_status
            columns["status_changed_at"] = event.at
            if event.to_status in _REVIEWED:
                if columns["seconds_to_first_review"] is None:
                    columns["seconds_to_first_review"] = (event.at - columns["created_at"]).total_seconds()
                self._judge(replay, event, imported=False)
            else:
                replay.verdict, replay.verdict_evidence = None, set()
        elif kind == "evidence.added":
            columns["version"] += 1
            key = self.key
            evidence_id = key(payload["evidence_id"])
            assert evidence_id is not None
            replay.evidence_ids.append(evidence_id)
            self.evidence[evidence_id] = {
                "claim_id": claim_id,
                "stance": payload.get("stance"),
                "kind": payload.get("kind"),
                "url": payload.get("url"),
                "document_id": key(payload.get("document_id")),
                "related_claim_id": key(payload.get("related_claim_id")),
                "provided_by_source_id": key(payload.get("provided_by_source_id")),
                "note": payload.get("note"),
                "added_by_id": event.actor_id,
                "added_at": event.at,
            }
        elif kind == "link.added":
            columns["version"] += 1
            link_id = self.key(payload["link_id"])
            assert link_id is not None
            self.links[link_id] = {
                "from_claim_id": claim_id,
                "to_claim_id": self.key(payload.get("to_claim_id")),
                "kind": payload.get("kind"),
                "created_by_id": event.actor_id,
                "created_at": event.at,
            }

    def _create(self, event: _EventRow, claim_id: str, *, imported: bool) -> None:
        payload = event.payload
        recorded = self.recorded(payload.get("claim", {}))
        status = event.to_status
        columns = {name: recorded.get(name) for name in _RECORDED_COLUMNS}
        columns.update(
            status=status,
            status_changed_at=(self.time(payload.get("status_changed_at")) if imported else None) or event.at,
            version=1,
            created_by_id=self.key(payload.get("created_by_id")) if imported else event.actor_id,
            created_at=event.at,
            seconds_to_first_review=0.0 if imported and status in _REVIEWED else None,
        )
        replay = _ClaimReplay(columns, list(recorded.get("places", [])), list(recorded.get("tags", [])), [])
        replay.via = list(recorded.get("via", []))
        self.claims[claim_id] = replay
        if imported and status in _REVIEWED:
            self._judge(replay, event, imported=True)

    def _judge(self, replay: _ClaimReplay, event: _EventRow, *, imported: bool) -> None:
        """The verdict an event made: its recorded basis, which must describe the claim as it then stood."""
        digest = verdicts.assertion_sha256(replay.assertion())
        basis = event.payload.get("basis")
        key = self.key
        if basis is None:
            # Recorded before verdicts carried their basis: what migration 0006 reconstructed from the events.
            named = [key(item) for item in event.payload.get("evidence_ids") or []]
            counted = {item for item in named if item is not None} or set(replay.evidence_ids)
        else:
            if basis.get("assertion_sha256") != digest:
                self.report.add(
                    "events", event.seq, "payload.basis.assertion_sha256", basis.get("assertion_sha256"), digest
                )
            counted = {key(item["id"]) or "" for item in basis.get("evidence", [])}
            if not counted <= set(replay.evidence_ids):
                self.report.add("events", event.seq, "payload.basis.evidence", "evidence of another claim", None)
        replay.verdict = {"event_seq": event.seq, "assertion_sha256": digest, "imported": imported}
        replay.verdict_evidence = counted
        replay.amended_since_verdict = False


def _range(column: Any, low: bool, high: bool) -> ColumnElement[bool]:
    """`:low < column <= :high`, an end left open when False (events about no claim are never in range)."""
    lower = column > bindparam("low", type_=column.type) if low else column.is_not(None)
    upper = column <= bindparam("high", type_=column.type) if high else true()
    return and_(lower, upper)


class _ClaimsCheck:
    """The claims pass: batches of claims in id order, each with everything about it."""

    def __init__(self, reads: _Reads, report: Report) -> None:
        self.reads = reads
        self.reader = reads.reader
        self.report = report

    def run(self, start: str | None = None, stop: str | None = None) -> None:
        """The claims whose ids lie in (start, stop] (an end open when None), a batch at a time."""
        low = start
        while True:
            shape = (low is not None, stop is not None)
            statement = self.reads.statement(("claims", *shape), functools.partial(self._page, *shape))
            rows = self.reader.rows(statement, {"low": low, "high": stop})
            if len(rows) < CLAIM_BATCH:
                self.check_range(rows, low, stop)  # the part's last claims, and any event or row beyond them
                return
            high = rows[-1][0]
            self.check_range(rows, low, high)
            low = high

    def _page(self, after: bool, until: bool) -> Select[Any]:
        """The next batch of claims in id order: after `:low` when `after`, up to `:high` when `until`."""
        return (
            select(*self.reads.columns(Claim, ("id", *_CLAIM_COLUMNS)))
            .where(_range(Claim.id, after, until))
            .order_by(Claim.id)
            .limit(CLAIM_BATCH)
        )

    def _rows(
        self, model: Any, names: tuple[str, ...], id_name: str, order: tuple[str, ...], low: Any, high: Any
    ) -> list[tuple[Any, ...]]:
        reads = self.reads

        def build() -> Select[Any]:
            column = getattr(model, id_name)
            statement = select(*reads.columns(model, names)).where(_range(column, low is not None, high is not None))
            return statement.order_by(*(getattr(model, name) for name in order)) if order else statement

        statement = reads.statement((model.__tablename__, low is not None, high is not None), build)
        return self.reader.rows(statement, {"low": low, "high": high})

    def _listed(self, model: Any, names: tuple[str, ...], low: Any, high: Any) -> dict[str, list[tuple[Any, ...]]]:
        """A claim's places, tags or intermediaries in order, by claim id, for the claims in the id range."""
        listed: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for claim_id, *values in self._rows(
            model, ("claim_id", *names), "claim_id", ("claim_id", "position"), low, high
        ):
            listed[claim_id].append(tuple(values))
        return listed

    def check_range(self, claim_rows: list[tuple[Any, ...]], low: Any, high: Any) -> None:
        report, reader = self.report, self.reader
        time = reader.time
        batch = _ClaimBatch(report, reader)
        events = self.reads.events(
            f"claims {low is not None} {high is not None}",
            lambda: _range(Event.claim_id, low is not None, high is not None),
            {"low": low, "high": high},
        )
        for event in events:
            batch.apply(event)
        stored: dict[str, dict[str, Any]] = {}
        for row in claim_rows:
            values = dict(zip(_CLAIM_COLUMNS, row[1:], strict=True))
            for name in ("stated_at", "event_start", "event_end", "status_changed_at", "created_at"):
                values[name] = time(values[name])
            stored[row[0]] = values
        report.compare_rows("claims", stored, {claim_id: replay.columns for claim_id, replay in batch.claims.items()})
        places = self._listed(
            ClaimPlace, ("name", "name_key", "place_id", "geo_precision", "lat", "lon", "admin1_code"), low, high
        )
        tags = self._listed(ClaimTag, ("tag", "tag_key"), low, high)
        via = {
            claim_id: [item for (item,) in rows]
            for claim_id, rows in self._listed(ClaimVia, ("source_id",), low, high).items()
        }
        for table, listed, name in (("claim_places", places, "places"), ("claim_tags", tags, "tags")):
            for claim_id in listed.keys() - batch.claims.keys():
                report.add(table, claim_id, name, [value[0] for value in listed[claim_id]], None)
        for claim_id in via.keys() - batch.claims.keys():
            report.add("claim_via", claim_id, "via", via[claim_id], None)
        counted: dict[str, set[str]] = defaultdict(set)
        for claim_id, evidence_id in self._rows(
            VerdictEvidence, ("claim_id", "evidence_id"), "claim_id", (), low, high
        ):
            counted[claim_id].add(evidence_id)
        expected_verdicts: dict[str, dict[str, Any]] = {}
        for claim_id, replay in batch.claims.items():
            self._check_lists(claim_id, replay, places.get(claim_id, []), tags.get(claim_id, []), via.get(claim_id, []))
            verdict = replay.verdict
            if verdict is None:
                continue
            matches = not replay.amended_since_verdict or (
                verdict["assertion_sha256"] == verdicts.assertion_sha256(replay.assertion())
            )
            expected_verdicts[claim_id] = {**verdict, "assertion_matches": matches}
            if counted.get(claim_id, set()) != replay.verdict_evidence:
                report.add(
                    "verdict_evidence",
                    claim_id,
                    "evidence_id",
                    sorted(counted.get(claim_id, set())),
                    sorted(replay.verdict_evidence),
                )
        for claim_id in counted.keys() - expected_verdicts.keys():
            report.add("verdict_evidence", claim_id, ROW, "exists", None)
        verdict_rows = {
            row[0]: dict(zip(_VERDICT_COLUMNS, row[1:], strict=True))
            for row in self._rows(Verdict, ("claim_id", *_VERDICT_COLUMNS), "claim_id", (), low, high)
        }
        report.compare_rows("verdicts", verdict_rows, expected_verdicts)
        evidence_rows = {}
        for row in self._rows(Evidence, ("id", *_EVIDENCE_COLUMNS), "claim_id", (), low, high):
            values = dict(zip(_EVIDENCE_COLUMNS, row[1:], strict=True))
            values["added_at"] = time(values["added_at"])
            evidence_rows[row[0]] = values
        report.compare_rows("evidence", evidence_rows, batch.evidence)
        link_rows = {}
        for row in self._rows(ClaimLink, ("id", *_LINK_COLUMNS), "from_claim_id", (), low, high):
            values = dict(zip(_LINK_COLUMNS, row[1:], strict=True))
            values["created_at"] = time(values["created_at"])
            link_rows[row[0]] = values
        report.compare_rows("claim_links", link_rows, batch.links)

    def _check_lists(
        self,
        claim_id: str,
        replay: _ClaimReplay,
        places: list[tuple[Any, ...]],
        tags: list[tuple[Any, ...]],
        via: list[Any],
    ) -> None:
        report = self.report
        names = [row[0] for row in places]
        expected = [place_state(item) for item in replay.places]
        if [item["name"] for item in expected] != names:
            report.add("claim_places", claim_id, "places", names, [item["name"] for item in expected])
        elif expected:
            # Where each name was resolved to, and the point and region copied with it, as the events record.
            resolved = [(row[2], row[3], row[4], row[5], row[6]) for row in places]
            implied = [
                (self.reader.key(item["place_id"]), item["precision"], item["lat"], item["lon"], item["admin1_code"])
                for item in expected
            ]
            if resolved != implied:
                report.add("claim_places", claim_id, "place_id", resolved, implied)
        if any(row[1] != name_key(row[0]) for row in places):
            report.add("claim_places", claim_id, "name_key", [row[1] for row in places], None)
        tag_names = [tag for tag, _key in tags]
        if replay.tags != tag_names:
            report.add("claim_tags", claim_id, "tags", tag_names, replay.tags)
        if any(key != name_key(tag) for tag, key in tags):
            report.add("claim_tags", claim_id, "tag_key", [key for _tag, key in tags], None)
        if replay.via != via:
            report.add("claim_via", claim_id, "via", via, replay.via)


# ---- sources, documents, actors, keys ----------------------------------------------------------------------


def _by_type(reads: _Reads, *types: str) -> list[_EventRow]:
    return reads.events(" ".join(types), lambda: Event.type.in_(types), {})


def _check_sources(reads: _Reads, report: Report) -> None:
    reader = reads.reader
    expected: dict[str, dict[str, Any]] = {}
    for event in _by_type(reads, "source.created", "source.updated"):
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
        state["parent_id"] = reader.key(state["parent_id"])
    names: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    statement = select(*reads.columns(SourceName, ("source_id", "name", "name_key", "is_alias"))).order_by(
        SourceName.source_id, SourceName.position
    )
    for source_id, name, key, is_alias in reader.rows(statement):
        names[source_id].append((name, key, bool(is_alias)))
    stored: dict[str, dict[str, Any]] = {}
    columns = ("id", *_SOURCE_FIELDS, "created_at", "updated_at")
    for row in reader.rows(select(*reads.columns(Source, columns))):
        values = dict(zip(columns, row, strict=True))
        source_id = values.pop("id")
        values["created_at"], values["updated_at"] = (
            reader.time(values["created_at"]),
            reader.time(values["updated_at"]),
        )
        listed = names.get(source_id, [])
        values["aliases"] = [name for name, _key, alias in listed if alias]
        stored[source_id] = values
        primary = [name for name, _key, alias in listed if not alias]
        if primary != [values["name"]]:
            report.add("source_names", source_id, "name", primary, [values["name"]])
        for name, key, _alias in listed:
            if key != name_key(name):
                report.add("source_names", source_id, "name_key", key, name_key(name))
    for source_id in names.keys() - stored.keys():
        report.add("source_names", source_id, ROW, "exists", None)
    report.compare_rows("sources", stored, expected)


def _check_documents(reads: _Reads, report: Report) -> None:
    reader = reads.reader
    columns = ("id", *_DOCUMENT_FIELDS, "created_by_id", "created_at")

    def check(events: list[_EventRow]) -> None:
        wanted = {reader.key(event.payload["document_id"]): event for event in events}
        # Documents are a few per thousand claims: read by SQLAlchemy, ids still as `key`s.
        statement = select(*reads.columns(Document, columns)).where(
            Document.id.in_([uuid.UUID(str(document_id)) for document_id in wanted])
        )
        stored = {row[0]: dict(zip(columns[1:], row[1:], strict=True)) for row in reads.session.execute(statement)}
        expected = {}
        for document_id, event in wanted.items():
            after = event.payload.get("after", {})
            expected[document_id] = {
                "title": after.get("title"),
                "url": after.get("url"),
                "outlet_id": reader.key(after.get("outlet_id")),
                "published_at": reader.time(after.get("published_at")),
                "retrieved_at": reader.time(after.get("retrieved_at")),
                "content_sha256": after.get("content_sha256"),
                "created_by_id": event.actor_id,
                "created_at": event.at,
            }
        report.compare_rows("documents", stored, expected)

    created = _by_type(reads, "document.created")
    for start in range(0, len(created), DOCUMENT_BATCH):
        check(created[start : start + DOCUMENT_BATCH])
    stored_total = reader.rows(select(func.count()).select_from(Document))[0][0]
    if stored_total > len(created):
        # Rows no event created: found by a second look, only in this case.
        recorded = {reader.key(event.payload["document_id"]) for event in created}
        for (document_id,) in reader.rows(select(reader.id_column(Document.id))):
            if document_id not in recorded:
                report.add("documents", document_id, ROW, "exists", None)
                report.checked["documents"] += 1


def _check_actors_and_keys(reads: _Reads, report: Report) -> None:
    reader = reads.reader
    actors: dict[str, dict[str, Any]] = {}
    keys: dict[str, dict[str, Any]] = {}
    for event in _by_type(reads, "actor.created", "key.created", "key.revoked"):
        payload = event.payload
        if event.type == "actor.created":
            actors[reader.key(payload["actor_id"]) or ""] = {
                "name": payload.get("name"),
                "role": payload.get("role"),
                "created_at": event.at,
            }
        elif event.type == "key.created":
            keys[payload["prefix"]] = {
                "actor_id": reader.key(payload.get("actor_id")),
                "created_at": event.at,
                "revoked_at": None,
            }
        elif payload.get("prefix") in keys:
            keys[payload["prefix"]]["revoked_at"] = event.at
        else:
            report.add("events", event.seq, "payload.prefix", None, "key.revoked for a key never created")
    stored_actors = {
        actor_id: {"name": name, "role": role, "created_at": reader.time(created_at)}
        for actor_id, name, role, created_at in reader.rows(
            select(*reads.columns(Actor, ("id", "name", "role", "created_at")))
        )
    }
    report.compare_rows("actors", stored_actors, actors)
    stored_keys = {
        prefix: {"actor_id": actor_id, "created_at": reader.time(created_at), "revoked_at": reader.time(revoked_at)}
        for prefix, actor_id, created_at, revoked_at in reader.rows(
            select(*reads.columns(ApiKey, ("prefix", "actor_id", "created_at", "revoked_at")))
        )
    }
    report.compare_rows("api_keys", stored_keys, keys)


def claim_parts(session: Session, count: int) -> list[tuple[str | None, str | None]]:
    """The id space of claims cut into `count` ranges (start, stop], as `compare_claims` takes them."""
    reader = DriverReader(session)
    bounds = [reader.key(uuid.UUID(int=(2**128 * index) // count - 1)) for index in range(1, count)]
    return list(zip([None, *bounds], [*bounds, None], strict=True))


def compare_claims(session: Session, start: str | None = None, stop: str | None = None) -> Report:
    """Claims with ids in (start, stop] (`claim_parts`), their places, tags, intermediaries, evidence, links and
    verdicts, compared with their events."""
    reader = DriverReader(session)
    report = Report(reader)
    _ClaimsCheck(_Reads(session, reader), report).run(start, stop)
    return report


def compare_the_rest(session: Session) -> Report:
    """Sources and their names, documents, actors and keys, compared with their events."""
    reader = DriverReader(session)
    reads = _Reads(session, reader)
    report = Report(reader)
    _check_sources(reads, report)
    _check_documents(reads, report)
    _check_actors_and_keys(reads, report)
    return report


def compare_projections(session: Session) -> Report:
    """Every projection compared with what the ledger implies; the report names each differing row and field."""
    report = compare_claims(session)
    report.merge(compare_the_rest(session))
    return report
