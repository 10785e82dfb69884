"""The audit ledger: one append-only, hash-chained row per mutation."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_claim_id_seq", "claim_id", "seq"),
        Index("ix_events_source_id_seq", "source_id", "seq"),
        Index("ix_events_actor_id_seq", "actor_id", "seq"),
        Index("ix_events_type_seq", "type", "seq"),
        Index("ix_events_at", "at"),
    )

    # Assigned by the ledger service under its lock, so it is gapless; INTEGER on SQLite makes it the rowid.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    type: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"))
    at: Mapped[datetime]
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claims.id"))
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    rationale: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
