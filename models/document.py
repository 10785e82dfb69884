"""Documents: the reports in which claims were read."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    outlet_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"), index=True)
    title: Mapped[str] = mapped_column(String(1000))
    # Unique when given, so that an import can refer to a document by its URL.
    url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    published_at: Mapped[datetime | None]
    retrieved_at: Mapped[datetime | None]
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
