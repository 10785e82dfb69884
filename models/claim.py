"""Claims and what hangs off them: places, tags, intermediaries, evidence and links."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utc_now
from models.vocabulary import (
    Channel,
    EventPrecision,
    EvidenceKind,
    LinkKind,
    PlacePrecision,
    Precision,
    Stance,
    Status,
    check_in,
)


class Claim(Base):
    """What a source asserted.

    `status`, `status_changed_at`, `seconds_to_first_review` and `version` are a projection of the ledger,
    written in the same transaction as the event they follow from.
    """

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(check_in("channel", Channel), name="channel"),
        CheckConstraint(check_in("stated_at_precision", Precision), name="stated_at_precision"),
        CheckConstraint(check_in("status", Status), name="status"),
        CheckConstraint(
            f"event_precision IS NULL OR {check_in('event_precision', EventPrecision)}", name="event_precision"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        # Keyset pagination by source: (source_id, stated_at, id) serves "a source's claims, newest first".
        Index("ix_claims_source_id_stated_at_id", "source_id", "stated_at", "id"),
        Index("ix_claims_stated_at_id", "stated_at", "id"),
        Index("ix_claims_created_at_id", "created_at", "id"),
        Index("ix_claims_status_stated_at", "status", "stated_at"),
        # `event_from`/`event_to`: the windows that start in a range as wide as the longest window (migration 0011
        # also indexes the windows' lengths), with what a page reads, so a window's claims come from the index.
        Index(
            "ix_claims_event_start_event_end_stated_at_created_at_id",
            "event_start",
            "event_end",
            "stated_at",
            "created_at",
            "id",
            sqlite_where=text("event_start IS NOT NULL"),
            postgresql_where=text("event_start IS NOT NULL"),
        ),
        # A source's scorecard from the index alone: its claims by status, and its waits for a first review
        # in order, so the median is found by skipping to the middle.
        Index("ix_claims_source_id_seconds_to_first_review_status", "source_id", "seconds_to_first_review", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    statement: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sources.id"))
    speaker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    channel_detail: Mapped[str | None] = mapped_column(String(1000))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"), index=True)
    stated_at: Mapped[datetime]
    stated_at_precision: Mapped[str] = mapped_column(String(10))
    event_start: Mapped[datetime | None]
    event_end: Mapped[datetime | None]
    event_precision: Mapped[str | None] = mapped_column(String(10))
    language: Mapped[str | None] = mapped_column(String(35))
    external_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    status: Mapped[str] = mapped_column(String(20), default=Status.CLAIMED.value)
    status_changed_at: Mapped[datetime] = mapped_column(default=utc_now)
    # From created_at to the first event into a reviewed status (REVIEWED_STATUSES); set once, never moved.
    seconds_to_first_review: Mapped[float | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    places: Mapped[list[ClaimPlace]] = relationship(
        lazy="raise", order_by="ClaimPlace.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[ClaimTag]] = relationship(
        lazy="raise", order_by="ClaimTag.position", cascade="all, delete-orphan"
    )
    via: Mapped[list[ClaimVia]] = relationship(lazy="raise", order_by="ClaimVia.position", cascade="all, delete-orphan")


class ClaimPlace(Base):
    """A place a claim names: the name as written and, when resolved, the gazetteer's place and a precision.

    `lat`, `lon` and `admin1_code` are copied from the place when the claim is resolved, so that the area and
    region filters are answered from this table's own indexes (a latitude range, then longitude and distance).
    `candidates` are the places an ambiguous name could be, when it was left unresolved.
    """

    __tablename__ = "claim_places"
    __table_args__ = (
        Index("ix_claim_places_name_key_claim_id", "name_key", "claim_id"),
        Index("ix_claim_places_lat_lon_claim_id", "lat", "lon", "claim_id"),
        Index("ix_claim_places_admin1_code_claim_id", "admin1_code", "claim_id"),
        CheckConstraint(f"geo_precision IS NULL OR {check_in('geo_precision', PlacePrecision)}", name="geo_precision"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # Case-folded copy of `name`, so a place filter matches "kharkiv" and "Kharkiv" alike.
    name_key: Mapped[str] = mapped_column(String(300))
    place_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"), index=True)
    # The API's `precision` (named apart from SQL's PRECISION keyword).
    geo_precision: Mapped[str | None] = mapped_column(String(10))
    candidates: Mapped[list[dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    admin1_code: Mapped[str | None] = mapped_column(String(10))


class ClaimTag(Base):
    __tablename__ = "claim_tags"
    __table_args__ = (
        Index("ix_claim_tags_tag_key_claim_id", "tag_key", "claim_id"),
        UniqueConstraint("claim_id", "tag_key"),
    )

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(100))
    tag_key: Mapped[str] = mapped_column(String(100))


class ClaimVia(Base):
    """One intermediary between a claim's origin and the report that relays it, in order."""

    __tablename__ = "claim_via"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sources.id"), index=True)


class Evidence(Base):
    """An item for or against a claim. Append-only: the database refuses UPDATE and DELETE."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(check_in("stance", Stance), name="stance"),
        CheckConstraint(check_in("kind", EvidenceKind), name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    stance: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2000))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    related_claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claims.id"))
    provided_by_source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"))
    note: Mapped[str | None] = mapped_column(Text)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"))
    added_at: Mapped[datetime] = mapped_column(default=utc_now)


class ClaimLink(Base):
    __tablename__ = "claim_links"
    __table_args__ = (
        CheckConstraint(check_in("kind", LinkKind), name="kind"),
        CheckConstraint("from_claim_id <> to_claim_id", name="not_self"),
        UniqueConstraint("from_claim_id", "to_claim_id", "kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    from_claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"))
    to_claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class IdempotencyKey(Base):
    """A claim creation remembered by (actor, Idempotency-Key), so a retried POST returns the first result."""

    __tablename__ = "idempotency_keys"

    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("actors.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class Verdict(Base):
    """The basis of a claim's current reviewed status: which event judged it, on which words and evidence.

    A projection of the ledger, like `claims.status`: written with the event that moves a claim into a reviewed
    status, removed when it leaves one. The basis itself (the judged version, the assertion's digest, each
    evidence item with its provider's party and independence as judged) is in that event's payload; these rows
    exist so that "whose verdict no longer holds" can be asked of the database.
    """

    __tablename__ = "verdicts"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), primary_key=True)
    event_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.seq"), unique=True
    )
    # SHA-256 of the assertion's canonical form when it was judged (api/services/verdicts.py).
    assertion_sha256: Mapped[str] = mapped_column(String(64))
    # Whether the claim's assertion still has that digest. An amendment of the assertion reopens the claim and
    # removes its verdict, so this is false only for verdicts recorded before that rule (migration 0006).
    assertion_matches: Mapped[bool] = mapped_column(Boolean)
    # An imported verdict was reached elsewhere: its evidence is not in this database.
    imported: Mapped[bool] = mapped_column(Boolean)


class VerdictEvidence(Base):
    """One evidence item a claim's current verdict counted (its party and independence as judged are in the
    verdict's event; whether it is independent today is asked of today's parties)."""

    __tablename__ = "verdict_evidence"

    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("verdicts.claim_id"), primary_key=True)
    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence.id"), primary_key=True, index=True)


class ClaimMatchTerm(Base):
    """One term of a claim's statement in the match index (api/services/matching): a stem, a lemma or a name's
    skeleton, with the claim's `stated_at`, so that the claims sharing a term in a window are one range scan.

    Derived from the claim's current record and rewritten in the transaction that records or amends it; not a
    projection of the ledger (the words it derives from are). No row id on SQLite: the key is the table.
    """

    __tablename__ = "claim_match_terms"
    __table_args__ = ({"sqlite_with_rowid": False},)

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    stated_at: Mapped[datetime] = mapped_column(primary_key=True)
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), primary_key=True, index=True)
