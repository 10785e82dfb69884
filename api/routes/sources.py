"""/v1/sources: the parties that make claims."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import AnalystDep, PrincipalDep, SessionDep, SettingsDep
from api.routes.common import NOT_MODIFIED, IfNoneMatch, fast_json_tagged, list_etag, problems
from api.schemas.claims import ClaimOut
from api.schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.schemas.sources import ScorecardOut, SourceIn, SourceOut, SourcePatch, SourceUpdateOut
from api.services import claims, sources
from models.vocabulary import SourceKind

router = APIRouter(prefix="/sources", tags=["sources"])


@router.post("", status_code=201, response_model=SourceOut, responses=problems(403, 409))
def create_source(body: SourceIn, session: SessionDep, actor: AnalystDep) -> dict[str, object]:
    """Record a source (an organisation, a spokesperson, an outlet). Reliability is admin-only."""
    source_id = sources.create_source(session, actor, body)
    return sources.get_source(session, source_id)


@router.get("", response_model=Page[SourceOut], responses={**NOT_MODIFIED, **problems()})
def list_sources(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    kind: SourceKind | None = None,
    q: Annotated[str | None, Query(max_length=300, description="Part of a name or alias.")] = None,
    sort: Literal["name", "-claims"] = "name",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    if_none_match: IfNoneMatch = None,
) -> dict[str, object]:
    """List sources by name, or by how many claims they made (`sort=-claims`); `ETag` as `GET /v1/claims`'s."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    items, next_cursor = sources.list_sources(
        session, secret=settings.secret_key, kind=kind, q=q, sort=sort, limit=limit, cursor=cursor
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{source_id}", response_model=SourceOut, responses=problems(404))
def get_source(source_id: uuid.UUID, session: SessionDep, _actor: PrincipalDep) -> dict[str, object]:
    """One source with its aliases, parent, party and claim count."""
    return sources.get_source(session, source_id)


@router.patch("/{source_id}", response_model=SourceUpdateOut, responses=problems(403, 404, 409))
def update_source(source_id: uuid.UUID, body: SourcePatch, session: SessionDep, actor: AnalystDep) -> dict[str, object]:
    """Amend a source; the previous values stay in the ledger. Changing `parent_id` changes parties, hence which
    evidence is independent: it is an admin's, and the answer lists the verdicts whose evidence it flipped."""
    affected = sources.update_source(session, actor, source_id, body)
    return {**sources.get_source(session, source_id), "affected_verdicts": affected}


@router.get("/{source_id}/scorecard", response_model=ScorecardOut, responses={**NOT_MODIFIED, **problems(404)})
def scorecard(
    request: Request,
    response: Response,
    source_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    include_children: Annotated[bool, Query(description="Count every descendant's claims too.")] = False,
    if_none_match: IfNoneMatch = None,
) -> dict[str, object]:
    """The source's record: claims by status, share confirmed and refuted, median time to first review.

    Computed from its claims, so tagged as the lists are: a weak `ETag` of the ledger's head and the query."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    return sources.scorecard(session, source_id, include_children)


@router.get("/{source_id}/claims", response_model=Page[ClaimOut], responses={**NOT_MODIFIED, **problems(404)})
def source_claims(
    request: Request,
    response: Response,
    source_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    include_children: Annotated[bool, Query(description="Add every descendant's claims.")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The source's claims, newest statement first (the same as `GET /v1/claims?source=<id>`); `ETag` as there."""
    tag = list_etag(request, response, session, settings.secret_key, if_none_match)
    items, next_cursor = claims.list_source_claims(
        session, source_id, include_children=include_children, limit=limit, cursor=cursor, secret=settings.secret_key
    )
    return fast_json_tagged({"items": items, "next_cursor": next_cursor}, tag)
