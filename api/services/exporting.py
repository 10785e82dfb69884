"""Claims out: streamed exports (NDJSON, CSV, schema.org ClaimReview) and one claim's ClaimReview.

An export pages through the same query as `GET /v1/claims` (keyset, never OFFSET) and yields one chunk per page,
so an export of any size is never built in memory. CSV cells a spreadsheet would run as formulas are neutralised
(`spreadsheet_safe`); ClaimReview JSON can sit in a `<script>` block (`embeddable_json`). ClaimReview publishes
what the verdict judged (`judged_statements`).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.services import claims, geo_export, verdicts
from api.services.claims import ClaimDict
from api.services.claims.shape import RefDict
from models import Event, Source, SourceName, Verdict
from models.vocabulary import REVIEWED_STATUSES, SourceKind, Status

EXPORT_PAGE = 1000


class ExportFormat(StrEnum):
    NDJSON = "ndjson"
    CSV = "csv"
    CLAIMREVIEW = "claimreview"
    GEOJSON = "geojson"
    ACLED_CSV = "acled_csv"


MEDIA_TYPES = {
    ExportFormat.NDJSON: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.CLAIMREVIEW: "application/ld+json",
    ExportFormat.GEOJSON: "application/geo+json",
    ExportFormat.ACLED_CSV: "text/csv; charset=utf-8",
}
FILE_EXTENSIONS = {
    ExportFormat.NDJSON: "ndjson",
    ExportFormat.CSV: "csv",
    ExportFormat.CLAIMREVIEW: "jsonld",
    ExportFormat.GEOJSON: "geojson",
    ExportFormat.ACLED_CSV: "acled.csv",
}
# The formats that draw places on a map, and leave out places without coordinates (api/services/geo_export.py).
MAP_FORMATS = frozenset({ExportFormat.GEOJSON, ExportFormat.ACLED_CSV})

# ClaimReview covers the reviewed statuses and retraction (DESIGN §4).
REVIEWABLE_STATUSES = frozenset({*REVIEWED_STATUSES, Status.RETRACTED})
RATINGS = {
    Status.CONFIRMED: (5, "Confirmed"),
    Status.CORROBORATED: (4, "Corroborated"),
    Status.UNVERIFIABLE: (3, "Unverifiable"),
    Status.RETRACTED: (3, "Retracted by its source"),
    Status.DISPUTED: (2, "Disputed"),
    Status.REFUTED: (1, "Refuted"),
}

CSV_COLUMNS = (
    "id",
    "external_id",
    "statement",
    "quote",
    "source",
    "source_kind",
    "source_reliability",
    "speaker",
    "channel",
    "channel_detail",
    "document_title",
    "document_url",
    "via",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "places",
    "tags",
    "language",
    "status",
    "credibility",
    "grade",
    "status_changed_at",
    "created_at",
)


@dataclass(frozen=True)
class Publisher:
    """Who publishes ClaimReviews, and where claims are found: from settings."""

    name: str
    base_url: str

    def claim_url(self, claim_id: uuid.UUID) -> str:
        return f"{self.base_url.rstrip('/')}/v1/claims/{claim_id}"


class _SourceDetails:
    """Sources by id as an export line names them, loaded a page at a time and kept for the export."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[uuid.UUID, dict[str, Any]] = {}

    def load(self, items: list[ClaimDict]) -> None:
        wanted: set[uuid.UUID] = set()
        for item in items:
            wanted.add(item["source"]["id"])
            if item["speaker"] is not None:
                wanted.add(item["speaker"]["id"])
            wanted.update(ref["id"] for ref in item["via"])
        missing = list(wanted - self.known.keys())
        if not missing:
            return
        for source_id, name, kind, reliability in self.session.execute(
            select(Source.id, Source.name, Source.kind, Source.reliability).where(Source.id.in_(missing))
        ).tuples():
            self.known[source_id] = {"name": name, "kind": kind, "aliases": [], "reliability": reliability}
        for source_id, alias in self.session.execute(
            select(SourceName.source_id, SourceName.name)
            .where(SourceName.source_id.in_(missing), SourceName.is_alias.is_(True))
            .order_by(SourceName.source_id, SourceName.position)
        ).tuples():
            self.known[source_id]["aliases"].append(alias)

    def ref(self, source: RefDict | None) -> dict[str, Any] | None:
        return None if source is None else self.known[source["id"]]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _line(item: ClaimDict, details: _SourceDetails) -> dict[str, Any]:
    """One claim as an NDJSON export line: what another claimdb needs to import it (DESIGN §4)."""
    document = item["document"]
    return {
        "id": item["id"],
        "statement": item["statement"],
        "quote": item["quote"],
        "source": details.ref(item["source"]),
        "speaker": details.ref(item["speaker"]),
        "channel": item["channel"],
        "channel_detail": item["channel_detail"],
        "document": {"title": document["title"], "url": document["url"]} if document else None,
        "via": [details.ref(ref) for ref in item["via"]],
        "stated_at": item["stated_at"],
        "stated_at_precision": item["stated_at_precision"],
        "event_start": item["event_start"],
        "event_end": item["event_end"],
        "places": item["places"],
        "tags": item["tags"],
        "language": item["language"],
        "external_id": item["external_id"] or str(item["id"]),
        "status": item["status"],
        "status_changed_at": item["status_changed_at"],
        "credibility": item["credibility"],
        "created_at": item["created_at"],
    }


def _csv_row(item: ClaimDict, details: _SourceDetails) -> list[Any]:
    source = details.known[item["source"]["id"]]
    document = item["document"]
    return [
        item["id"],
        item["external_id"] or str(item["id"]),
        item["statement"],
        item["quote"],
        source["name"],
        source["kind"],
        source["reliability"],
        item["speaker"]["name"] if item["speaker"] else None,
        item["channel"],
        item["channel_detail"],
        document["title"] if document else None,
        document["url"] if document else None,
        ";".join(ref["name"] for ref in item["via"]),
        _iso(item["stated_at"]),
        item["stated_at_precision"],
        _iso(item["event_start"]),
        _iso(item["event_end"]),
        ";".join(place["name"] for place in item["places"]),
        ";".join(item["tags"]),
        item["language"],
        item["status"],
        item["credibility"],
        f"{source['reliability']}{item['credibility']}",
        _iso(item["status_changed_at"]),
        _iso(item["created_at"]),
    ]


def _stated_date(stated_at: datetime, precision: str) -> str:
    """`stated_at` no more precisely than it is known: a day as a date, a month as YYYY-MM."""
    if precision == "day":
        return stated_at.date().isoformat()
    if precision == "month":
        return stated_at.strftime("%Y-%m")
    return stated_at.isoformat()


def judged_statements(session: Session, items: list[ClaimDict]) -> dict[uuid.UUID, str]:
    """What each reviewed claim's verdict judged, for ClaimReview's `claimReviewed`.

    The claim's own statement when its words still have the verdict's digest (an amendment of them reopens a
    claim, so this is the rule); otherwise the statement at the verdict's event, read from the ledger.
    """
    judged: dict[uuid.UUID, str] = {item["id"]: item["statement"] for item in items}
    reviewed = [item for item in items if Status(item["status"]) in REVIEWED_STATUSES]
    if not reviewed:
        return judged
    rows = {
        claim_id: digest
        for claim_id, digest in session.execute(
            select(Verdict.claim_id, Verdict.assertion_sha256).where(Verdict.claim_id.in_([i["id"] for i in reviewed]))
        )
    }
    for item in reviewed:
        if rows.get(item["id"]) == verdicts.assertion_sha256(verdicts.state_of_shaped(item)):
            continue
        seq = session.scalar(
            select(Event.seq)
            .where(Event.claim_id == item["id"], Event.to_status == item["status"])
            .order_by(Event.seq.desc())
            .limit(1)
        )
        statement = claims.statement_at(session, item["id"], seq) if seq is not None else None
        if statement is not None:
            judged[item["id"]] = statement
    return judged


def _claim_review(item: ClaimDict, details: _SourceDetails, publisher: Publisher, statement: str) -> dict[str, Any]:
    """A schema.org ClaimReview of one reviewed or retracted claim, rated as DESIGN §4 maps it; `statement` is
    what the review judged (`judged_statements`)."""
    source = details.known[item["source"]["id"]]
    rating, words = RATINGS[Status(item["status"])]
    author_type = "Person" if source["kind"] == SourceKind.INDIVIDUAL.value else "Organization"
    claimed: dict[str, Any] = {
        "@type": "Claim",
        "author": {"@type": author_type, "name": source["name"]},
        "datePublished": _stated_date(item["stated_at"], item["stated_at_precision"]),
    }
    document = item["document"]
    if document and document["url"]:
        claimed["appearance"] = {"@type": "CreativeWork", "url": document["url"], "headline": document["title"]}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.claim_url(item["id"]),
        "claimReviewed": statement,
        "datePublished": item["status_changed_at"].isoformat(),
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.base_url},
        "itemReviewed": claimed,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": words,
        },
        # Not a schema.org term: the Admiralty grade, source reliability beside information credibility.
        "admiraltyGrade": f"{source['reliability']}{item['credibility']}",
    }


def check_export(session: Session, query: claims.ClaimQuery, secret: str) -> None:
    """Raise the list's 422s (an unknown source, a bad cursor or sort) before a streamed answer has begun."""
    claims.list_claims(session, replace(query, limit=1, cursor=None), secret)


def _use_snapshot(session: Session) -> None:
    """Read every page from one snapshot, so an export is consistent while others write (SQLite's WAL already is)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def export_chunks(
    session: Session, query: claims.ClaimQuery, export_format: ExportFormat, publisher: Publisher, secret: str
) -> Iterator[bytes]:
    """The claims matching `query` in the chosen format, one chunk per page, never the whole export at once."""
    _use_snapshot(session)
    if export_format is ExportFormat.GEOJSON:
        yield from geo_export.geojson_chunks(session, query, secret)
        return
    if export_format is ExportFormat.ACLED_CSV:
        yield from geo_export.acled_chunks(session, query, secret)
        return
    if export_format is ExportFormat.CLAIMREVIEW:
        wanted = [status for status in query.statuses or Status if status in REVIEWABLE_STATUSES]
        query = replace(query, statuses=wanted)
        if not query.statuses:
            yield b"[]\n"
            return
    details = _SourceDetails(session)
    if export_format is ExportFormat.CSV:
        yield _csv_chunk([list(CSV_COLUMNS)])
    elif export_format is ExportFormat.CLAIMREVIEW:
        yield b"["
    first = True
    cursor: str | None = None
    while True:
        items, cursor = claims.list_claims(session, replace(query, limit=EXPORT_PAGE, cursor=cursor), secret)
        details.load(items)
        if export_format is ExportFormat.NDJSON:
            yield b"".join(orjson.dumps(_line(item, details), option=orjson.OPT_APPEND_NEWLINE) for item in items)
        elif export_format is ExportFormat.CSV:
            yield _csv_chunk([_csv_row(item, details) for item in items])
        elif items:
            judged = judged_statements(session, items)
            reviews = b",\n".join(
                embeddable_json(_claim_review(item, details, publisher, judged[item["id"]])) for item in items
            )
            yield (b"\n" if first else b",\n") + reviews
            first = False
        if cursor is None:
            break
    if export_format is ExportFormat.CLAIMREVIEW:
        yield b"\n]\n"


# A spreadsheet reads a cell starting with one of these as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd|...`),
# tab and carriage return included: a statement quoting such text would run when the CSV is opened.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell as a spreadsheet shows it without evaluating it: a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_chunk(rows: list[list[Any]]) -> bytes:
    # The csv module's default dialect is RFC 4180's: CRLF line ends, fields with quotes, commas or line
    # breaks quoted, quotes doubled. Every text cell is neutralised as a spreadsheet formula first.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode()


# Outside a JSON string these characters never occur, so escaping them byte for byte keeps the JSON equal.
_SCRIPT_UNSAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


def embeddable_json(value: Any) -> bytes:
    """JSON with `<`, `>` and `&` escaped, so it can sit in an HTML `<script type="application/ld+json">` block.

    A statement holding `</script>` (or `<!--`) would otherwise end the block and let the rest of it be read
    as HTML: ClaimReview JSON-LD is made to be embedded in a publisher's pages.
    """
    encoded = orjson.dumps(value)
    for character, escaped in _SCRIPT_UNSAFE:
        encoded = encoded.replace(character, escaped)
    return encoded


def claim_review(session: Session, claim_id: uuid.UUID, publisher: Publisher) -> dict[str, Any]:
    """One claim's ClaimReview; 404 when the claim is unknown or not yet reviewed (nor retracted)."""
    found = claims.describe(session, [claim_id])
    if not found:
        raise NotFound(f"No claim has the id {claim_id}.")
    item = found[0]
    if Status(item["status"]) not in REVIEWABLE_STATUSES:
        raise NotFound(
            f"Claim {claim_id} has no review to publish: its status is {item['status']}. "
            "ClaimReview covers reviewed and retracted claims."
        )
    details = _SourceDetails(session)
    details.load([item])
    return _claim_review(item, details, publisher, judged_statements(session, [item])[claim_id])
