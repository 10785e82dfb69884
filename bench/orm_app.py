"""A straightforward FastAPI + SQLAlchemy ORM + Pydantic insert endpoint: the peer `bench/peers.py` posts to.

    DATABASE_URL=sqlite:////tmp/orm-peer.sqlite3 .venv/bin/uvicorn --app-dir bench orm_app:app --port 8102

What a developer would write for "store a claim" without claimdb: one table, one model, one Pydantic schema
in and out, a session per request, `add` and `commit`. No ledger, no full text, no key. It gets SQLite in WAL
mode with `synchronous=NORMAL`, as claimdb does, so both commit with the same durability.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

engine = create_engine(
    os.environ.get("DATABASE_URL", "sqlite:////tmp/orm-peer.sqlite3"), connect_args={"check_same_thread": False}
)


@event.listens_for(engine, "connect")
def _pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


class Base(DeclarativeBase):
    pass


class Claim(Base):
    __tablename__ = "claims"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    statement: Mapped[str] = mapped_column(Text)
    quote: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(20))
    stated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20), default="claimed")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))


Base.metadata.create_all(engine)
Sessions = sessionmaker(engine, expire_on_commit=False)


class ClaimIn(BaseModel):
    statement: str = Field(min_length=1, max_length=10_000)
    quote: str | None = None
    source_id: uuid.UUID
    channel: str = Field(max_length=20)
    stated_at: datetime


class ClaimOut(ClaimIn):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    status: str
    version: int
    created_at: datetime


def get_session() -> Iterator[Session]:
    with Sessions() as session:
        yield session


app = FastAPI()


@app.post("/v1/claims", status_code=201, response_model=ClaimOut)
def create_claim(body: ClaimIn, session: Annotated[Session, Depends(get_session)]) -> Claim:
    claim = Claim(**body.model_dump())
    session.add(claim)
    session.commit()
    return claim
