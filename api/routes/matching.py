"""/v1/claims/match, /v1/claims/{id}/related and /v1/compare: claims that assert the same thing, and each side."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.deps import PrincipalDep, ReadSessionDep, SettingsDep
from api.routes.common import NOT_MODIFIED, IfNoneMatch, fast_json, list_etag, problems
from api.schemas.matching import CompareOut, MatchIn, MatchOut, RelatedOut
from api.services import times
from api.services.matching import related as related_service
from api.services.matching.matcher import MatchRequest, match

router = APIRouter(tags=["matching"])


@router.post("/claims/match", response_model=MatchOut, responses=problems())
def match_claims(body: MatchIn, session: ReadSessionDep, _actor: PrincipalDep) -> Response:
    """Recorded claims like this statement, best first, with a score, a relation and reasons. Stores nothing."""
    request = MatchRequest(
        statement=body.statement,
        quote=body.quote,
        source_id=body.source_id,
        stated_at=body.stated_at,
        places=list(body.places),
        language=body.language,
        limit=body.limit,
    )
    return fast_json({"candidates": match(session, request)})


@router.get("/claims/{claim_id}/related", response_model=RelatedOut, responses={**NOT_MODIFIED, **problems(404)})
def related_claims(
    request: Request,
    response: Response,
    claim_id: uuid.UUID,
    session: ReadSessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any]:
    """The claims asserting the same thing, grouped by party, those contradicting it, and who and how many;
    a list's `ETag`."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    return dict(related_service.related(session, claim_id))


@router.get("/compare", response_model=CompareOut, responses={**NOT_MODIFIED, **problems()})
def compare(
    request: Request,
    response: Response,
    session: ReadSessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    place: Annotated[str, Query(min_length=1, max_length=300, description="A place, in any script or spelling.")],
    stated_from: Annotated[str | None, Query(max_length=40, description="A date or an ISO 8601 time.")] = None,
    stated_to: Annotated[str | None, Query(max_length=40, description="A date or an ISO 8601 time.")] = None,
    source: Annotated[list[str], Query(description="Only these sources (id, name or alias); repeatable.")] = [],  # noqa: B006
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any]:
    """What each side says about a place in a window: claims by affiliation and party, assertions clustered;
    a list's `ETag`."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    low = times.parse_time_bound(stated_from, "stated_from")
    high = times.parse_time_bound(stated_to, "stated_to", end_of_day=True)
    return dict(related_service.compare(session, place, low, high, source, stated_from, stated_to))
