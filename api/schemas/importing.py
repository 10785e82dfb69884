"""Exchange shapes: one import/export NDJSON line, the import summary.

A line is what `GET /v1/export/claims?format=ndjson` writes: the claim's JSON with its source, speaker and
intermediaries as `{"name","kind","aliases","reliability"}` and its document as `{"title","url"}`, so that
another database can resolve them by name, alias or URL. The minimal line is
`{"statement","source":{"name","kind"},"channel","stated_at"}`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, field_validator, model_validator

from api.schemas.claims import MAX_LIST_ITEMS, ClaimRecordChecks
from api.schemas.common import (
    InputModel,
    LanguageTag,
    Name,
    Quote,
    ShortText,
    Statement,
    Tag,
    Url,
    UtcDatetime,
    distinct_case_insensitively,
)
from api.schemas.places import ClaimPlaceIn, PlaceCandidateOut
from models.vocabulary import Channel, EventPrecision, Precision, Reliability, SourceKind, Status


def _date_as_utc_midnight(value: Any) -> Any:
    """A bare date (YYYY-MM-DD), common in hand-made files, is that day's start in UTC."""
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value + "T00:00:00+00:00"
    return value


ImportTime = Annotated[UtcDatetime, BeforeValidator(_date_as_utc_midnight)]


_distinct = distinct_case_insensitively


class SourceRefIn(InputModel):
    """A source named by its name or an alias; `kind` (with `aliases`, `reliability`) creates it when new."""

    name: Name
    kind: SourceKind | None = Field(default=None, description="Needed only when no source has this name yet.")
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    reliability: Reliability | None = None

    @field_validator("aliases")
    @classmethod
    def aliases_are_distinct(cls, aliases: list[str]) -> list[str]:
        return _distinct(aliases, "aliases")


class DocumentRefIn(InputModel):
    """A document named by its URL; `title` creates it when new. Without a URL it is always a new document."""

    url: Url | None = None
    title: ShortText | None = None

    @model_validator(mode="after")
    def url_or_title(self) -> DocumentRefIn:
        if self.url is None and self.title is None:
            raise ValueError("a document needs a url (to find it) or a title (to create it)")
        return self


class ClaimPlaceLineIn(ClaimPlaceIn):
    """A claim's place in an import line: as exported (its candidates are read again here, so ignored)."""

    candidates: list[PlaceCandidateOut] = Field(default_factory=list, description="Ignored: resolved again.")


PlaceInput = Annotated[Name | ClaimPlaceLineIn, Field(description="A name as written, or an exported place.")]


class ClaimLine(ClaimRecordChecks):
    """One NDJSON line of an import: the export's line, or the minimal statement, source, channel, stated_at."""

    statement: Statement
    quote: Quote | None = None
    source: SourceRefIn
    speaker: SourceRefIn | None = None
    channel: Channel
    channel_detail: ShortText | None = None
    document: DocumentRefIn | None = None
    via: list[SourceRefIn] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    stated_at: ImportTime
    stated_at_precision: Precision = Precision.DAY
    event_start: ImportTime | None = None
    event_end: ImportTime | None = None
    event_precision: EventPrecision | None = None
    places: list[PlaceInput] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    language: LanguageTag | None = None
    external_id: Name | None = None
    status: Status = Status.CLAIMED
    status_changed_at: UtcDatetime | None = None
    # Written by the export for the reader; on import `id` stands in for a missing external_id, the rest is
    # this database's own bookkeeping and is ignored.
    id: uuid.UUID | None = None
    credibility: int | None = None
    created_at: UtcDatetime | None = None


class ImportSummaryOut(BaseModel):
    created: int = Field(description="Claims created by this import.")
    unchanged: int = Field(description="Lines whose external_id was already in the database: left as they are.")
    sources_created: int
    documents_created: int
