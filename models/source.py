"""Sources: the parties that make claims, with their names and aliases."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utc_now
from models.vocabulary import Reliability, SourceKind, check_in


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint(check_in("kind", SourceKind), name="kind"),
        CheckConstraint(check_in("reliability", Reliability), name="reliability"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    affiliation: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(300))
    reliability: Mapped[str] = mapped_column(String(1), default=Reliability.F.value)
    url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    names: Mapped[list[SourceName]] = relationship(
        lazy="raise", order_by="SourceName.position", cascade="all, delete-orphan"
    )


class SourceName(Base):
    """Every name a source answers to (its name and each alias), unique across all sources.

    `name_key` is the NFC-normalised, case-folded form: the unique index on it is what makes
    names and aliases unique case-insensitively, decided by the database rather than a pre-check.
    """

    __tablename__ = "source_names"

    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    is_alias: Mapped[bool] = mapped_column(Boolean)
