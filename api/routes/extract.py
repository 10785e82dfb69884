"""/v1/extract: propose claims, with their sources, from the text of a report; nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.orm import Session

from api.database import Database
from api.deps import get_principal
from api.routes.common import problems
from api.schemas.extract import ExtractIn, ExtractOut
from api.services import extraction
from api.services.auth import Principal

router = APIRouter(prefix="/extract", tags=["extract"])


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only session: extraction writes nothing, so it need not queue for SQLite's single writer."""
    database: Database = request.app.state.database
    session = database.session(write=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_reader(
    session: ReadSessionDep,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> Principal:
    """Any valid key (viewer and up), checked on the read-only session."""
    return get_principal(session, authorization)


@router.post("", response_model=ExtractOut, responses=problems())
def extract_claims(
    body: ExtractIn, session: ReadSessionDep, _actor: Annotated[Principal, Depends(get_reader)]
) -> dict[str, Any]:
    """Find attributed statements in a report and propose them as claims; accept one with `POST /v1/claims`."""
    candidates = extraction.extract(session, body.text, published_at=body.published_at, outlet=body.outlet)
    return {"candidates": candidates}
