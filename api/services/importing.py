"""Claims in: the NDJSON import, all or nothing.

It reads a seekable byte stream twice, inside one write transaction that holds the ledger lock from the start:

1. check: parse and validate every line, resolve its sources (by name or alias) and document (by URL)
   against the database and the rest of the file, find external_ids already in the database (those lines
   are left unchanged) or repeated in the file. Up to 100 bad lines are reported; any bad line rejects the
   batch before a single row is written.
2. write: read the lines again and insert the claims, their places, tags and intermediaries, the new
   sources and documents, and one event each, with Core bulk inserts; the events' hash chain is computed
   here, in order, by `ledger.append_many`. Rows and payloads come from the same builders as every other
   writer's (`claims.records`, `sources.source_record`, `documents.document_record`).

Memory does not grow with the file: lines are handled in chunks, and what is kept from one chunk to the
next is a bitmap of unchanged lines and the sources and documents named. External ids go to a temporary
table, where the database finds the repeats. The module stays whole because the two passes share one job's
state (`_Import`).
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import IO, Any, Protocol

import orjson
from pydantic import ValidationError
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, func, select, text
from sqlalchemy.orm import Session

from api.errors import InvalidInput, PayloadTooLarge
from api.schemas.importing import ClaimLine, DocumentRefIn, SourceRefIn
from api.services import bulk, documents, ledger, names, sources, verdicts
from api.services.auth import Principal, require_role
from api.services.claims import records
from api.services.matching import index as match_index
from api.services.places import resolution
from models import Claim, ClaimMatchTerm, ClaimPlace, ClaimTag, ClaimVia, Document, Source, SourceName, Verdict
from models.vocabulary import REVIEWED_STATUSES, Reliability, Role

MAX_ERRORS = 100
# Bad lines remembered for the report; the report lists the first MAX_ERRORS of them by line number.
_ERRORS_KEPT = 10 * MAX_ERRORS
MAX_LINE_BYTES = 1024 * 1024
CHUNK_LINES = 2000
# Keys per IN (...) lookup: well under SQLite's and PostgreSQL's limits on bound parameters.
_LOOKUP_BATCH = 5000
# An upload is kept in memory up to this size and spooled to a temporary file beyond it.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
IMPORT_PAGE_CACHE_KIB = 64 * 1024
# Each line's external_id, for the database to find repeats in; private to the import's connection and
# transaction (PostgreSQL drops it at commit, the import drops it on SQLite).
_KEYS = Table(
    "claimdb_import_keys",
    MetaData(),
    Column("external_id", String(300), nullable=False),
    Column("line", Integer, nullable=False),
    Index("claimdb_import_keys_external_id", "external_id"),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


# Names repeat from line to line (a few sources, many claims): their keys are worth remembering, within a bound.
name_key = functools.lru_cache(maxsize=65536)(names.name_key)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


# ---- import -----------------------------------------------------------------------------------------


class ImportProgress(Protocol):
    """Told after each chunk: the phase (`checking`, `writing`), lines read so far, bytes read so far."""

    def __call__(self, phase: str, lines: int, done_bytes: int) -> None: ...


@dataclass
class ImportSummary:
    created: int = 0
    unchanged: int = 0
    sources_created: int = 0
    documents_created: int = 0


@dataclass
class _NewSource:
    name: str
    kind: str
    aliases: list[str]
    reliability: str
    line: int
    id: uuid.UUID | None = None


@dataclass
class _NewDocument:
    url: str
    title: str
    line: int
    id: uuid.UUID | None = None


@dataclass
class _RawLine:
    number: int
    text: bytes | None  # None when the line is longer than MAX_LINE_BYTES
    complete: bool  # ends with a newline


def _read_lines(stream: IO[bytes]) -> Iterator[_RawLine]:
    """The stream's lines, numbered from 1, never holding more than one bounded line in memory."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            # Skip the rest of an overlong line in bounded pieces rather than reading it whole.
            while not raw.endswith(b"\n"):
                raw = stream.readline(MAX_LINE_BYTES)
                if not raw:
                    break
            yield _RawLine(number, None, True)
            continue
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        yield _RawLine(number, raw, raw.endswith(b"\n"))


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "a boolean"


def _describe_validation(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:3]:
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"]
        given = item.get("input")
        if item["type"] == "enum" and isinstance(given, str) and len(given) <= 60:
            message += f" (got {given!r})"
        parts.append(f"{where}: {message}" if where else message)
    if error.error_count() > 3:
        parts.append(f"and {error.error_count() - 3} more")
    return "; ".join(parts)


def _parse(raw: _RawLine) -> tuple[ClaimLine | None, str]:
    """The line as a valid `ClaimLine`, or None and the reason it is not one."""
    if raw.text is None:
        return None, f"the line is longer than {MAX_LINE_BYTES:,} bytes"
    try:
        raw.text.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 (byte {error.start + 1} of the line)"
    try:
        data = orjson.loads(raw.text)
    except orjson.JSONDecodeError as error:
        if not raw.complete or "unexpected end" in str(error).lower():
            return None, "truncated: the line ends before its JSON object does"
        return None, f"not JSON: {error}"
    if not isinstance(data, dict):
        return None, f"expected a JSON object, found {_json_kind(data)}"
    try:
        return ClaimLine.model_validate(data), ""
    except ValidationError as error:
        return None, _describe_validation(error)


def _is_blank(raw: _RawLine) -> bool:
    return raw.text is not None and not raw.text.strip()


def line_external_id(line: ClaimLine) -> str:
    """The line's external_id; else its exported id; else one derived from what was said, by whom, when.

    Deriving one for minimal lines is what lets the same file be imported twice without creating twice.
    """
    if line.external_id:
        return line.external_id
    if line.id is not None:
        return str(line.id)
    identity = [
        line.statement,
        line.quote,
        name_key(line.source.name),
        name_key(line.speaker.name) if line.speaker else None,
        line.channel.value,
        line.stated_at.astimezone(UTC).isoformat(),
    ]
    return "sha256:" + hashlib.sha256(orjson.dumps(identity)).hexdigest()


def _source_refs(line: ClaimLine) -> Iterator[tuple[str, SourceRefIn]]:
    yield "source", line.source
    if line.speaker is not None:
        yield "speaker", line.speaker
    for index, ref in enumerate(line.via):
        yield f"via.{index}", ref


def _batches(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _LOOKUP_BATCH):
        yield values[start : start + _LOOKUP_BATCH]


class _Import:
    """One import job: its transaction's clock, what it has learnt about the file, and its counts."""

    def __init__(self, session: Session, actor_id: uuid.UUID | None, progress: ImportProgress | None) -> None:
        self.session = session
        self.actor_id = actor_id
        self.progress = progress
        # Taking the clock takes the ledger lock: nothing the checks read can change before the writes.
        self.now = ledger.clock(session)
        self.summary = ImportSummary()
        self.errors: dict[int, list[str]] = {}
        self.bad_lines = 0
        # A name key (NFC, case-folded) → the existing source it names, or None once looked up and not found.
        self.source_ids: dict[str, uuid.UUID | None] = {}
        self.new_sources: dict[str, _NewSource] = {}
        self.pending_sources: dict[str, list[tuple[int, str, str]]] = {}
        self.document_ids: dict[str, uuid.UUID | None] = {}
        self.new_documents: dict[str, _NewDocument] = {}
        self.pending_documents: dict[str, list[int]] = {}
        self.unchanged = bytearray()

    # ---- bookkeeping

    def _error(self, number: int, reason: str) -> None:
        if number not in self.errors:
            self.bad_lines += 1
            if len(self.errors) >= _ERRORS_KEPT:
                return
            self.errors[number] = []
        self.errors[number].append(reason)

    def _mark_unchanged(self, number: int) -> None:
        index, bit = divmod(number, 8)
        if index >= len(self.unchanged):
            self.unchanged.extend(bytes(index + 1 - len(self.unchanged)))
        self.unchanged[index] |= 1 << bit

    def _is_unchanged(self, number: int) -> bool:
        index, bit = divmod(number, 8)
        return index < len(self.unchanged) and bool(self.unchanged[index] & (1 << bit))

    def _report(self, phase: str, lines: int, stream: IO[bytes]) -> None:
        if self.progress is not None:
            self.progress(phase, lines, stream.tell())

    def _rejection(self) -> InvalidInput:
        listed = sorted(self.errors)[:MAX_ERRORS]
        more = f" (the first {MAX_ERRORS} are listed)" if self.bad_lines > MAX_ERRORS else ""
        return InvalidInput(
            f"{self.bad_lines} line(s) of the import are invalid{more}; nothing was imported.",
            errors=[{"line": number, "reason": "; ".join(self.errors[number])} for number in listed],
            invalid_lines=self.bad_lines,
        )

    # ---- the temporary table of external ids

    def create_keys_table(self) -> None:
        # A failed import on this connection rolls its table back with it; this is for anything else left over.
        _KEYS.drop(self.session.connection(), checkfirst=True)
        _KEYS.create(self.session.connection())

    def drop_keys_table(self) -> None:
        _KEYS.drop(self.session.connection(), checkfirst=True)

    # ---- pass 1: check

    def check(self, stream: IO[bytes]) -> None:
        self.create_keys_table()
        chunk: list[tuple[int, ClaimLine, str]] = []
        lines = 0
        for raw in _read_lines(stream):
            if _is_blank(raw):
                continue
            lines += 1
            parsed, reason = _parse(raw)
            if parsed is None:
                self._error(raw.number, reason)
            else:
                chunk.append((raw.number, parsed, line_external_id(parsed)))
            if len(chunk) >= CHUNK_LINES:
                self._check_chunk(chunk)
                chunk = []
                self._report("checking", lines, stream)
        if chunk:
            self._check_chunk(chunk)
        self._report("checking", lines, stream)
        if lines == 0:
            raise InvalidInput("The import is empty: it has no lines.", errors=[], invalid_lines=0)
        self._check_repeats()
        self._check_unresolved()
        if self.errors:
            raise self._rejection()

    def _check_chunk(self, chunk: list[tuple[int, ClaimLine, str]]) -> None:
        bulk.insert_rows(
            self.session, _KEYS, [{"external_id": external_id, "line": number} for number, _line, external_id in chunk]
        )
        existing = set(
            self.session.scalars(
                select(Claim.external_id).where(Claim.external_id.in_([external_id for _, _, external_id in chunk]))
            )
        )
        fresh: list[tuple[int, ClaimLine]] = []
        for number, line, external_id in chunk:
            if external_id in existing:
                self._mark_unchanged(number)
                self.summary.unchanged += 1
            else:
                fresh.append((number, line))
        self._look_up(line for _number, line in fresh)
        for number, line in fresh:
            if line.status_changed_at is not None and line.status_changed_at > self.now:
                self._error(number, "status_changed_at: must not be in the future")
            for where, ref in _source_refs(line):
                self._check_source(number, where, ref)
            if line.document is not None:
                self._check_document(number, line.document)

    def _look_up(self, lines: Iterable[ClaimLine]) -> None:
        """Find, in a few queries per chunk, which of the chunk's names and URLs the database knows."""
        keys: set[str] = set()
        urls: set[str] = set()
        for line in lines:
            for _where, ref in _source_refs(line):
                keys.add(name_key(ref.name))
                keys.update(name_key(alias) for alias in ref.aliases)
            if line.document is not None and line.document.url is not None:
                urls.add(line.document.url)
        for batch in _batches([key for key in keys if key not in self.source_ids]):
            found = {
                key: source_id
                for key, source_id in self.session.execute(
                    select(SourceName.name_key, SourceName.source_id).where(SourceName.name_key.in_(batch))
                ).tuples()
            }
            for key in batch:
                self.source_ids[key] = found.get(key)
        for batch in _batches([url for url in urls if url not in self.document_ids]):
            known = {
                url: document_id
                for url, document_id in self.session.execute(
                    select(Document.url, Document.id).where(Document.url.in_(batch))
                ).tuples()
                if url is not None
            }
            for url in batch:
                self.document_ids[url] = known.get(url)

    def _check_source(self, number: int, where: str, ref: SourceRefIn) -> None:
        key = name_key(ref.name)
        if self.source_ids.get(key) is not None:
            return
        known = self.new_sources.get(key)
        if known is not None:
            if ref.kind is not None and ref.kind.value != known.kind:
                self._error(
                    number, f"{where}.kind: {ref.name!r} is {ref.kind.value} here but {known.kind} on line {known.line}"
                )
            return
        if ref.kind is None:
            self.pending_sources.setdefault(key, []).append((number, where, ref.name))
            return
        keys = [key, *(name_key(alias) for alias in ref.aliases)]
        if len(set(keys)) != len(keys):
            self._error(number, f"{where}.aliases: a source's name and aliases must all differ (case-insensitively)")
            return
        for alias, alias_key in zip(ref.aliases, keys[1:], strict=True):
            if self.source_ids.get(alias_key) is not None:
                self._error(number, f"{where}.aliases: {alias!r} is already a name or alias of another source")
                return
            other = self.new_sources.get(alias_key)
            if other is not None:
                self._error(
                    number, f"{where}.aliases: {alias!r} is already a name of {other.name!r} (line {other.line})"
                )
                return
        definition = _NewSource(
            name=ref.name,
            kind=ref.kind.value,
            aliases=list(ref.aliases),
            reliability=(ref.reliability or Reliability.F).value,
            line=number,
        )
        for each in keys:
            self.new_sources[each] = definition
            self.pending_sources.pop(each, None)

    def _check_document(self, number: int, ref: DocumentRefIn) -> None:
        url = ref.url
        if url is None or self.document_ids.get(url) is not None or url in self.new_documents:
            return
        if ref.title is None:
            self.pending_documents.setdefault(url, []).append(number)
            return
        self.new_documents[url] = _NewDocument(url=url, title=ref.title, line=number)
        self.pending_documents.pop(url, None)

    def _check_repeats(self) -> None:
        repeated = select(_KEYS.c.external_id).group_by(_KEYS.c.external_id).having(func.count() > 1)
        rows = self.session.execute(
            select(_KEYS.c.external_id, _KEYS.c.line)
            .where(_KEYS.c.external_id.in_(repeated))
            .order_by(_KEYS.c.external_id, _KEYS.c.line)
            .limit(_ERRORS_KEPT)
        ).tuples()
        first_line: dict[str, int] = {}
        for external_id, number in rows:
            if external_id in first_line:
                self._error(number, f"external_id {external_id!r} repeats the one on line {first_line[external_id]}")
            else:
                first_line[external_id] = number

    def _check_unresolved(self) -> None:
        for references in self.pending_sources.values():
            for number, where, name in references:
                self._error(
                    number, f"{where}: no source is named {name!r}; give its kind (and aliases) to create it here"
                )
        for url, numbers in self.pending_documents.items():
            for number in numbers:
                self._error(number, f"document: no document has the URL {url!r}; give its title to create it here")

    # ---- pass 2: write

    def write(self, stream: IO[bytes]) -> None:
        stream.seek(0)
        chunk: list[tuple[int, ClaimLine]] = []
        lines = 0
        for raw in _read_lines(stream):
            if _is_blank(raw):
                continue
            lines += 1
            if self._is_unchanged(raw.number):
                continue
            parsed, reason = _parse(raw)
            if parsed is None:
                raise InvalidInput(f"Line {raw.number} changed while the file was being imported: {reason}")
            chunk.append((raw.number, parsed))
            if len(chunk) >= CHUNK_LINES:
                self._write_chunk(chunk)
                chunk = []
                self._report("writing", lines, stream)
        if chunk:
            self._write_chunk(chunk)
        self._report("writing", lines, stream)

    def _write_chunk(self, chunk: list[tuple[int, ClaimLine]]) -> None:
        batch = _Batch()
        # The chunk's place names and ids looked up at once; a place id from another database (an export of
        # it) that names nothing here is resolved by its name instead.
        mentions = [resolution.mention_of(item) for _number, line in chunk for item in line.places]
        self._found = resolution.candidates_by_key(self.session, resolution.keys_of(mentions))
        self._chosen = resolution.candidates_by_id(
            self.session, [mention.place_id for mention in mentions if mention.place_id is not None]
        )
        for _number, line in chunk:
            self._add_claim(batch, line)
        for model, rows in (
            (Source, batch.sources),
            (SourceName, batch.source_names),
            (Document, batch.documents),
            (Claim, batch.claims),
            (ClaimPlace, batch.places),
            (ClaimTag, batch.tags),
            (ClaimVia, batch.via),
            (ClaimMatchTerm, batch.match_terms),
        ):
            bulk.insert_rows(self.session, _table(model), rows)
        last_seq = ledger.append_many(self.session, batch.events, self.now)
        # An imported reviewed status is a verdict reached elsewhere: it binds to the words imported.
        first_seq = last_seq - len(batch.events) + 1
        bulk.insert_rows(
            self.session,
            _table(Verdict),
            [
                {
                    "claim_id": claim_id,
                    "event_seq": first_seq + index,
                    "assertion_sha256": digest,
                    "assertion_matches": True,
                    "imported": True,
                }
                for index, claim_id, digest in batch.verdicts
            ],
        )

    def _add_claim(self, batch: _Batch, line: ClaimLine) -> None:
        claim_id = uuid.uuid4()
        status = line.status.value
        status_changed_at = line.status_changed_at or self.now
        recorded: dict[str, Any] = {
            "statement": line.statement,
            "quote": line.quote,
            "source_id": self._source_id(batch, line.source),
            "speaker_id": self._source_id(batch, line.speaker) if line.speaker is not None else None,
            "channel": line.channel.value,
            "channel_detail": line.channel_detail,
            "document_id": self._document_id(batch, line.document) if line.document is not None else None,
            "via": [self._source_id(batch, ref) for ref in line.via],
            "stated_at": line.stated_at,
            "stated_at_precision": line.stated_at_precision.value,
            "event_start": line.event_start,
            "event_end": line.event_end,
            "event_precision": line.event_precision.value if line.event_precision else None,
            "places": [
                item.recorded()
                for item in resolution.resolve_found(
                    [resolution.mention_of(item) for item in line.places],
                    self._found,
                    self._chosen,
                    resolution.Context(text=" ".join(part for part in (line.statement, line.quote) if part)),
                )
            ],
            "tags": list(line.tags),
            "language": line.language,
            "external_id": line_external_id(line),
        }
        reviewed = line.status in REVIEWED_STATUSES
        rows = records.claim_rows(
            claim_id,
            recorded,
            created_by_id=None,
            created_at=self.now,
            status=status,
            status_changed_at=status_changed_at,
            # The claim.imported event below records the status: it is the first review when reviewed.
            seconds_to_first_review=0.0 if reviewed else None,
        )
        batch.claims.append(rows.claim)
        batch.places.extend(rows.places)
        batch.tags.extend(rows.tags)
        batch.via.extend(rows.via)
        batch.match_terms.extend(
            match_index.term_rows(
                claim_id, line.statement, line.language, records.place_names(line.places), line.stated_at
            )
        )
        basis = None
        if reviewed:
            # An imported reviewed status is a verdict reached elsewhere: it binds to the words imported.
            digest = verdicts.assertion_sha256(recorded)
            basis = verdicts.basis_payload(1, digest, [])
            batch.verdicts.append((len(batch.events), claim_id, digest))
        batch.events.append(
            ledger.NewEvent(
                "claim.imported",
                actor_id=self.actor_id,
                claim_id=claim_id,
                source_id=recorded["source_id"],
                to_status=status,
                payload=records.imported_payload(
                    recorded, status=status, status_changed_at=status_changed_at, basis=basis
                ),
            )
        )
        self.summary.created += 1

    def _source_id(self, batch: _Batch, ref: SourceRefIn) -> uuid.UUID:
        key = name_key(ref.name)
        existing = self.source_ids.get(key)
        if existing is not None:
            return existing
        definition = self.new_sources[key]
        if definition.id is None:
            definition.id = uuid.uuid4()
            self._create_source(batch, definition)
        return definition.id

    def _create_source(self, batch: _Batch, definition: _NewSource) -> None:
        assert definition.id is not None
        record = sources.source_record(
            definition.id,
            name=definition.name,
            kind=definition.kind,
            at=self.now,
            aliases=definition.aliases,
            reliability=definition.reliability,
        )
        batch.sources.append(record.row)
        batch.source_names.extend(record.names)
        batch.events.append(
            ledger.NewEvent("source.created", actor_id=self.actor_id, source_id=definition.id, payload=record.payload)
        )
        self.summary.sources_created += 1

    def _document_id(self, batch: _Batch, ref: DocumentRefIn) -> uuid.UUID:
        if ref.url is not None:
            existing = self.document_ids.get(ref.url)
            if existing is not None:
                return existing
            definition = self.new_documents[ref.url]
            if definition.id is None:
                definition.id = uuid.uuid4()
                self._create_document(batch, definition.id, definition.title, ref.url)
            return definition.id
        # A document without a URL cannot be referred to again: each such line describes a new one.
        assert ref.title is not None
        document_id = uuid.uuid4()
        self._create_document(batch, document_id, ref.title, None)
        return document_id

    def _create_document(self, batch: _Batch, document_id: uuid.UUID, title: str, url: str | None) -> None:
        record = documents.document_record(document_id, title=title, url=url, at=self.now, created_by_id=self.actor_id)
        batch.documents.append(record.row)
        batch.events.append(ledger.NewEvent("document.created", actor_id=self.actor_id, payload=record.payload))
        self.summary.documents_created += 1


@dataclass
class _Batch:
    """The rows one chunk writes, in insert order, and its events in ledger order."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    source_names: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    via: list[dict[str, Any]] = field(default_factory=list)
    match_terms: list[dict[str, Any]] = field(default_factory=list)
    events: list[ledger.NewEvent] = field(default_factory=list)
    # (index in `events`, claim id, assertion digest) of each imported reviewed status
    verdicts: list[tuple[int, uuid.UUID, str]] = field(default_factory=list)


def require_importer(actor: Principal) -> None:
    """Only an admin imports: the one path besides review that sets a claim's status."""
    require_role(actor, Role.ADMIN, "Importing claims")


def import_claims(
    session: Session, actor: Principal | None, stream: IO[bytes], progress: ImportProgress | None = None
) -> ImportSummary:
    """Import NDJSON claim lines from a seekable stream, all or nothing; `actor` None is the command line."""
    if actor is not None:
        require_importer(actor)
    job = _Import(session, actor.id if actor is not None else None, progress)
    with _sqlite_page_cache(session):
        job.check(stream)
        job.write(stream)
    job.drop_keys_table()
    return job.summary


@contextmanager
def _sqlite_page_cache(session: Session) -> Iterator[None]:
    """A larger SQLite page cache while importing, then the connection's own again.

    Claims, events and their indexes are keyed by random UUIDs and hashes: with SQLite's default 2 MiB cache,
    nearly every insert touches a page that is no longer cached. The cache is a fixed bound, not a share of
    the file, so memory stays flat.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    previous = session.execute(text("PRAGMA cache_size")).scalar_one()
    session.execute(text(f"PRAGMA cache_size = -{IMPORT_PAGE_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {int(previous)}"))


async def spool_upload(chunks: AsyncIterator[bytes], limit: int) -> IO[bytes]:
    """Receive an upload into a seekable spool, refusing it (413) as soon as it passes `limit` bytes."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - returned open
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise PayloadTooLarge(f"The import is larger than the {limit:,} bytes accepted (max_import_bytes).")
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool
