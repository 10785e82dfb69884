"""/v1/documents: the reports that relay claims."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import AnalystDep, PrincipalDep, SessionDep
from api.routes.common import problems
from api.schemas.documents import DocumentIn, DocumentOut
from api.services import documents

router = APIRouter(prefix="/documents", tags=["documents"])


@router.post("", status_code=201, response_model=DocumentOut, responses=problems(403, 409))
def create_document(body: DocumentIn, session: SessionDep, actor: AnalystDep) -> dict[str, object]:
    """Record a report (article, bulletin, transcript) in which claims were read."""
    document_id = documents.create_document(session, actor, body)
    return documents.get_document(session, document_id)


@router.get("/{document_id}", response_model=DocumentOut, responses=problems(404))
def get_document(document_id: uuid.UUID, session: SessionDep, _actor: PrincipalDep) -> dict[str, object]:
    """One document."""
    return documents.get_document(session, document_id)
