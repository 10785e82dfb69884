"""Signed-in sessions of the analyst's desk, kept on the server: the cookie holds only a random id."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now


class DeskSession(Base):
    """One sign-in: which key it acts with and until when. Deleted at sign-out and when the key is revoked."""

    __tablename__ = "desk_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # SHA-256 of the random id the cookie holds: a copy of this table signs nobody in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
