"""Documents: the reports in which claims were read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased

from api.errors import Conflict, InvalidInput, NotFound
from api.schemas.documents import DocumentIn
from api.services import ledger
from api.services.auth import Principal, require_role
from api.services.common import insert_unique
from api.services.sources import require_source
from models import Actor, Document, Source
from models.vocabulary import Role


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class DocumentRecord:
    """A new document as its row and its `document.created` payload: the one builder of documents
    (`create_document`, the import, bench/fill.py)."""

    row: dict[str, Any]
    payload: dict[str, Any]


def document_record(
    document_id: uuid.UUID,
    *,
    title: str,
    at: datetime,
    created_by_id: uuid.UUID | None,
    url: str | None = None,
    outlet_id: uuid.UUID | None = None,
    published_at: datetime | None = None,
    retrieved_at: datetime | None = None,
    content_sha256: str | None = None,
) -> DocumentRecord:
    fields = {
        "title": title,
        "url": url,
        "outlet_id": outlet_id,
        "published_at": published_at,
        "retrieved_at": retrieved_at,
        "content_sha256": content_sha256,
    }
    row = {"id": document_id, **fields, "created_by_id": created_by_id, "created_at": at}
    after = {
        **fields,
        "outlet_id": str(outlet_id) if outlet_id else None,
        "published_at": _iso(published_at),
        "retrieved_at": _iso(retrieved_at),
    }
    return DocumentRecord(row, {"document_id": str(document_id), "after": after})


def create_document(session: Session, actor: Principal, data: DocumentIn) -> uuid.UUID:
    """Record a report; its URL, when given, names it uniquely."""
    require_role(actor, Role.ANALYST, "Creating a document")
    now = ledger.clock(session)
    if data.outlet_id is not None:
        require_source(session, data.outlet_id, "outlet_id")
    record = document_record(uuid.uuid4(), **data.model_dump(), at=now, created_by_id=actor.id)

    def explain() -> Conflict | None:
        existing = session.scalar(select(Document.id).where(Document.url == data.url))
        if existing is None:
            return None
        return Conflict(f"A document with the URL {data.url!r} exists already.", document_id=str(existing))

    def write() -> None:
        session.execute(insert(Document), [record.row])

    insert_unique(session, write, explain)
    ledger.append(
        session, "document.created", actor_id=actor.id, source_id=data.outlet_id, at=now, payload=record.payload
    )
    document_id: uuid.UUID = record.row["id"]
    return document_id


def find_or_create_document(session: Session, actor: Principal, data: DocumentIn) -> uuid.UUID:
    """The document recorded with this URL, or a new one recorded now (a document without a URL is always new).

    The ledger lock is taken before looking: every writer of documents takes it, so none can record the same URL
    between the look and the insert.
    """
    ledger.clock(session)
    if data.url is not None:
        existing = session.scalar(select(Document.id).where(Document.url == data.url))
        if existing is not None:
            return existing
    return create_document(session, actor, data)


def require_document(session: Session, document_id: uuid.UUID, field: str) -> None:
    if session.scalar(select(Document.id).where(Document.id == document_id)) is None:
        raise InvalidInput(f"{field}: no document has the id {document_id}.", parameter=field)


def get_document(session: Session, document_id: uuid.UUID) -> dict[str, Any]:
    outlet = aliased(Source)
    row = session.execute(
        select(Document, outlet.name, Actor.name)
        .outerjoin(outlet, outlet.id == Document.outlet_id)
        .outerjoin(Actor, Actor.id == Document.created_by_id)
        .where(Document.id == document_id)
    ).first()
    if row is None:
        raise NotFound(f"No document has the id {document_id}.")
    document, outlet_name, creator_name = row
    return {
        "id": document.id,
        "outlet": {"id": document.outlet_id, "name": outlet_name} if document.outlet_id else None,
        "title": document.title,
        "url": document.url,
        "published_at": document.published_at,
        "retrieved_at": document.retrieved_at,
        "content_sha256": document.content_sha256,
        "created_by": {"id": document.created_by_id, "name": creator_name} if document.created_by_id else None,
        "created_at": document.created_at,
    }
