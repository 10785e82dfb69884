"""Claim shapes: what is posted, amended, moved through review, and returned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    DocumentRef,
    InputModel,
    LanguageTag,
    Name,
    Note,
    Quote,
    Rationale,
    Ref,
    ShortText,
    Statement,
    Tag,
    Url,
    UtcDatetime,
    distinct_case_insensitively,
)
from api.schemas.places import ClaimPlaceIn, ClaimPlaceOut
from models.vocabulary import Channel, EventPrecision, EvidenceKind, LinkKind, Precision, Stance, Status

MAX_LIST_ITEMS = 50


_distinct = distinct_case_insensitively

# A claim's place on input: the name as written, or an object that may name the place and precision too.
PlaceInput = Annotated[
    Name | ClaimPlaceIn,
    Field(description='A name as written ("Izium"), or {"name","place_id"?,"precision"?}.'),
]


def _distinct_places(places: list[Any]) -> list[Any]:
    _distinct([item if isinstance(item, str) else item.name for item in places], "places")
    return places


class ClaimRecordChecks(InputModel):
    """Checks shared by every body that records a whole claim (a post, an import line)."""

    @field_validator("places", check_fields=False)
    @classmethod
    def places_are_distinct(cls, places: list[Any]) -> list[Any]:
        return _distinct_places(places)

    @field_validator("tags", check_fields=False)
    @classmethod
    def tags_are_distinct(cls, tags: list[str]) -> list[str]:
        return _distinct(tags, "tags")

    @model_validator(mode="after")
    def event_times_in_order(self) -> Self:
        start, end = getattr(self, "event_start", None), getattr(self, "event_end", None)
        if start and end and end < start:
            raise ValueError("event_end must not be before event_start")
        return self


class ClaimIn(ClaimRecordChecks):
    statement: Statement = Field(description="The assertion in a neutral sentence.")
    quote: Quote | None = Field(default=None, description="The source's verbatim words, if any.")
    source_id: uuid.UUID = Field(description="The origin: the party that made the claim.")
    speaker_id: uuid.UUID | None = Field(default=None, description="The person who voiced it.")
    channel: Channel
    channel_detail: ShortText | None = None
    document_id: uuid.UUID | None = Field(default=None, description="The report that relays the claim.")
    via: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Intermediaries, origin first, as source ids.",
    )
    stated_at: UtcDatetime
    stated_at_precision: Precision = Precision.DAY
    event_start: UtcDatetime | None = None
    event_end: UtcDatetime | None = None
    event_precision: EventPrecision | None = Field(default=None, description="How precisely the window is known.")
    places: list[PlaceInput] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    language: LanguageTag | None = None
    external_id: Name | None = Field(default=None, description="The client's own id; unique when given.")


TimeText = Annotated[str | None, Field(max_length=40, description="A date (YYYY-MM-DD) or an ISO 8601 time.")]
ClaimSort = Literal["-stated_at", "stated_at", "-recorded_at", "relevance"]


class ClaimFilters(BaseModel):
    """The filters of `GET /v1/claims`, of its export (API and command line) and of the desk's claim list: one
    definition, with one set of names, limits and messages. Paging (`limit`, `cursor`) is the list's own."""

    # `default=[]`, not a factory, so that the OpenAPI document states the default (Pydantic copies it).
    source: list[str] = Field(
        default=[], description="Source id, or exact name or alias (case-insensitive); repeatable (OR)."
    )
    include_children: bool = Field(default=False, description="Also every descendant of the named sources.")
    status: list[Status] = Field(default=[], description="Repeatable (OR).")
    channel: Channel | None = None
    place: str | None = Field(default=None, max_length=300)
    tag: str | None = Field(default=None, max_length=100)
    stated_from: TimeText = None
    stated_to: TimeText = None
    recorded_from: TimeText = None
    recorded_to: TimeText = None
    as_of: TimeText = None
    q: str | None = Field(
        default=None, max_length=500, description='Full text over statement and quote: words, "phrases", prefix*.'
    )
    basis_holds: bool | None = Field(
        default=None,
        description="Only claims with a current verdict whose basis holds (true) or no longer holds (false): "
        "the judged words are still the claim's, and the evidence counted still meets the status's rule "
        "under today's parties.",
    )
    near: str | None = Field(
        default=None,
        max_length=60,
        pattern=r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$",
        description="`lat,lon`: claims with a place within `radius_km` of it.",
    )
    radius_km: float | None = Field(default=None, gt=0, le=2000, description="With `near` (default 25 km).")
    bbox: str | None = Field(
        default=None,
        max_length=120,
        pattern=r"^\s*-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?){3}\s*$",
        description="`minlon,minlat,maxlon,maxlat` (RFC 7946 order): claims with a place inside.",
    )
    region: str | None = Field(
        default=None,
        max_length=300,
        description="A first-level region by name, alias or ISO 3166-2 code: claims with a place in it.",
    )
    event_from: TimeText = None
    event_to: TimeText = None
    sort: ClaimSort = "-stated_at"


class ClaimPage(BaseModel):
    """A page of the claim list: how many claims, and after which (the `next_cursor` of the page before)."""

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=1000)


class ClaimPatch(InputModel):
    """Corrections to a claim's record. `source_id` and `status` cannot be amended."""

    statement: Statement | None = None
    quote: Quote | None = None
    speaker_id: uuid.UUID | None = None
    channel: Channel | None = None
    channel_detail: ShortText | None = None
    document_id: uuid.UUID | None = None
    via: list[uuid.UUID] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    stated_at: UtcDatetime | None = None
    stated_at_precision: Precision | None = None
    event_start: UtcDatetime | None = None
    event_end: UtcDatetime | None = None
    event_precision: EventPrecision | None = None
    places: list[PlaceInput] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    tags: list[Tag] | None = Field(default=None, max_length=MAX_LIST_ITEMS)
    language: LanguageTag | None = None

    @model_validator(mode="before")
    @classmethod
    def refuse_fixed_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "source_id" in data:
                raise ValueError("source_id cannot be amended: a claim by another source is another claim")
            if "status" in data:
                raise ValueError("status cannot be amended: use POST /v1/claims/{id}/status")
        return data

    @field_validator("places")
    @classmethod
    def places_are_distinct(cls, places: list[Any] | None) -> list[Any] | None:
        return None if places is None else _distinct_places(places)

    @field_validator("tags")
    @classmethod
    def tags_are_distinct(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else _distinct(tags, "tags")


class StatusChangeIn(InputModel):
    status: Status
    rationale: Rationale = Field(description="Why the status moves; kept in the ledger.")
    evidence_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=MAX_LIST_ITEMS, description="Check the evidence rule on these items only."
    )


class EvidenceIn(InputModel):
    stance: Stance
    kind: EvidenceKind
    url: Url | None = None
    document_id: uuid.UUID | None = None
    related_claim_id: uuid.UUID | None = None
    provided_by_source_id: uuid.UUID | None = Field(
        default=None, description="Who provides the evidence; decides whether it is independent of the claim."
    )
    note: Note | None = None


class LinkIn(InputModel):
    kind: LinkKind
    to_claim: uuid.UUID


class EvidenceOut(BaseModel):
    id: uuid.UUID
    claim_id: uuid.UUID
    stance: Stance
    kind: EvidenceKind
    url: str | None
    document: DocumentRef | None
    related_claim_id: uuid.UUID | None
    provided_by: Ref | None
    provider_party: Ref | None
    independent: bool = Field(description="Whether the provider's party differs from the claim source's party.")
    note: str | None
    added_by: Ref | None
    added_at: datetime


class LinkOut(BaseModel):
    id: uuid.UUID
    kind: LinkKind
    direction: str = Field(description="`outgoing` (this claim → other) or `incoming` (other → this claim).")
    claim_id: uuid.UUID = Field(description="The other claim.")
    created_at: datetime


class ClaimOut(BaseModel):
    id: uuid.UUID
    statement: str
    quote: str | None
    source: Ref
    speaker: Ref | None
    channel: Channel
    channel_detail: str | None
    document: DocumentRef | None
    via: list[Ref]
    stated_at: datetime
    stated_at_precision: Precision
    event_start: datetime | None
    event_end: datetime | None
    event_precision: EventPrecision | None
    places: list[ClaimPlaceOut]
    tags: list[str]
    language: str | None
    external_id: str | None
    status: Status
    status_changed_at: datetime
    credibility: int = Field(description="Admiralty credibility 1–6, derived from the status.")
    version: int
    created_by: Ref | None
    created_at: datetime


class VerdictEvidenceOut(BaseModel):
    id: uuid.UUID
    stance: Stance
    provider: Ref | None
    party: Ref | None = Field(description="The provider's party when the verdict was reached.")
    independent: bool = Field(description="Whether the item was independent of the claim's party when judged.")
    independent_now: bool = Field(description="Whether it is independent under today's parties.")


class VerdictOut(BaseModel):
    """What a reviewed status rests on: the words it judged and the evidence it counted."""

    status: Status
    at: datetime
    by: Ref | None = Field(description="The reviewer (or importer); null for the command line.")
    version: int | None = Field(description="The version of the claim that was judged.")
    assertion_sha256: str = Field(description="SHA-256 of the judged assertion's canonical form.")
    evidence: list[VerdictEvidenceOut]
    basis_holds: bool = Field(
        description="The claim still says what was judged, and the counted evidence still meets the status's rule "
        "under today's parties."
    )
    assertion_matches: bool = Field(description="The claim's assertion still has the judged digest.")
    imported: bool = Field(description="Reached elsewhere and imported: its evidence is not in this database.")
    reconstructed: bool = Field(
        description="Recorded before verdicts carried their basis; rebuilt from the ledger (parties as of today)."
    )
    event_seq: int = Field(description="The ledger event that made this verdict.")


class ClaimDetailOut(ClaimOut):
    evidence: list[EvidenceOut]
    links: list[LinkOut]
    verdict: VerdictOut | None = Field(description="The basis of a reviewed status; null for any other status.")


class EventOut(BaseModel):
    seq: int
    type: str
    actor: Ref | None
    at: datetime
    claim_id: uuid.UUID | None
    source_id: uuid.UUID | None
    from_status: Status | None
    to_status: Status | None
    rationale: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    # The event's leaf hash in the Merkle tree, as stored (hex); null only if the tree lacks it (`claimdb verify`).
    leaf_hash: str | None


class MismatchOut(BaseModel):
    table: str
    id: Any = Field(description="The row's key: an id, or a key's prefix; an event's seq for the events table.")
    field: str = Field(description="The differing column, or `(row)` when one side has the row and the other not.")
    stored: Any = Field(description="What the table holds.")
    ledger: Any = Field(description="What the events imply.")


class VerifyOut(BaseModel):
    ok: bool
    events: int = Field(description="Events whose chain was found intact (up to the first broken one).")
    checked: dict[str, int] | None = Field(default=None, description="Rows compared with the ledger, per table.")
    first_broken_seq: int | None = Field(default=None, description="The first event whose chain link or hash fails.")
    reason: str | None = None
    mismatches: list[MismatchOut] | None = Field(default=None, description="Stored values the ledger does not imply.")
    mismatches_found: int | None = Field(default=None, description="All mismatches found (at most 100 are listed).")
