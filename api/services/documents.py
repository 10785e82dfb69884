"""Documents: the reports in which claims were read."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
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


def create_document(session: Session, actor: Principal, data: DocumentIn) -> uuid.UUID:
    """Record a report; its URL, when given, names it uniquely."""
    require_role(actor, Role.ANALYST, "Creating a document")
    now = ledger.clock(session)
    if data.outlet_id is not None:
        require_source(session, data.outlet_id, "outlet_id")
    document = Document(**data.model_dump(), created_by_id=actor.id, created_at=now)

    def explain() -> Conflict | None:
        existing = session.scalar(select(Document.id).where(Document.url == data.url))
        if existing is None:
            return None
        return Conflict(f"A document with the URL {data.url!r} exists already.", document_id=str(existing))

    insert_unique(session, lambda: session.add(document), explain)
    ledger.append(
        session,
        "document.created",
        actor_id=actor.id,
        source_id=data.outlet_id,
        at=now,
        payload={
            "document_id": str(document.id),
            "after": {
                "title": data.title,
                "url": data.url,
                "outlet_id": str(data.outlet_id) if data.outlet_id else None,
                "published_at": _iso(data.published_at),
                "retrieved_at": _iso(data.retrieved_at),
                "content_sha256": data.content_sha256,
            },
        },
    )
    return document.id


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
