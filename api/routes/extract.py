"""/v1/extract: propose claims, with their sources, from the text of a report; nothing is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import PrincipalDep, ReadSessionDep
from api.routes.common import problems
from api.schemas.extract import ExtractIn, ExtractOut
from api.services import extraction

router = APIRouter(prefix="/extract", tags=["extract"])


@router.post("", response_model=ExtractOut, responses=problems())
def extract_claims(body: ExtractIn, session: ReadSessionDep, _actor: PrincipalDep) -> dict[str, Any]:
    """Find attributed statements in a report and propose them as claims; accept one with `POST /v1/claims`."""
    candidates = extraction.extract(session, body.text, published_at=body.published_at, outlet=body.outlet)
    return {"candidates": candidates}
