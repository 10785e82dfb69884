"""/v1/claims: post claims, read them (now or as of a past time), amend them, move them through review."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from api.deps import AnalystDep, IfMatchDep, PrincipalDep, SessionDep, SettingsDep, etag
from api.errors import NotModified
from api.routes.common import (
    NOT_MODIFIED,
    IfNoneMatch,
    fast_json,
    fast_json_tagged,
    list_etag,
    problems,
    versions_named,
)
from api.schemas.claims import (
    ClaimDetailOut,
    ClaimFilters,
    ClaimIn,
    ClaimOut,
    ClaimPatch,
    EventOut,
    EvidenceIn,
    EvidenceOut,
    LinkIn,
    StatusChangeIn,
)
from api.schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.schemas.matching import ClaimCreatedOut
from api.services import caching, claims, times, workflow
from api.services.matching import matcher

router = APIRouter(prefix="/claims", tags=["claims"])

TimeParam = Annotated[str | None, Query(max_length=40, description="A date (YYYY-MM-DD) or an ISO 8601 time.")]


def _detail(response: Response, session: SessionDep, claim_id: uuid.UUID) -> claims.ClaimDetailDict:
    claim = claims.get_claim(session, claim_id)
    response.headers["ETag"] = etag(claim["version"])
    return claim


@router.post("", status_code=201, response_model=ClaimCreatedOut, responses=problems(403, 409))
def create_claim(
    body: ClaimIn,
    session: SessionDep,
    settings: SettingsDep,
    actor: AnalystDep,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=255, description="Repeat a POST safely: same key and body, same answer."),
    ] = None,
) -> Response:
    """Record a claim with its attribution, exactly as it was said. Its status starts as `claimed`. `similar`
    names up to 3 recorded claims it may repeat (already recorded?): a post is never refused for them."""
    if settings.similar_on_post:
        request = matcher.request_of(body)
        found = matcher.suggestions(session, request)
        claim_id, _created = claims.create_claim(session, actor, body, idempotency_key)
        claim, similar = matcher.posted_with_similar(session, claim_id, request, found)
    else:
        claim_id, _created = claims.create_claim(session, actor, body, idempotency_key)
        claim, similar = claims.get_claim(session, claim_id), []
    # Encoded straight from the service's dicts, as lists are: the claim and its three suggestions validated
    # against the model again cost a quarter of what `similar` adds to a post (bench/README.md).
    answer = fast_json({**claim, "similar": similar})
    answer.status_code = 201
    answer.headers["Location"] = f"/v1/claims/{claim_id}"
    answer.headers["ETag"] = etag(claim["version"])
    return answer


async def claim_filters(filters: Annotated[ClaimFilters, Query()]) -> claims.ClaimQuery:
    """The filters of `GET /v1/claims` (and of its export), without paging. No I/O, so not run in a thread."""
    return claims.query_of(filters)


@router.get("", response_model=Page[ClaimOut], responses={**NOT_MODIFIED, **problems()})
def list_claims(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    filters: Annotated[claims.ClaimQuery, Depends(claim_filters)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Claims matching every filter given (AND), newest statement first by default, keyset-paged.

    Its weak `ETag` names the ledger's head and the query: 304 to `If-None-Match` while nothing changed."""
    tag = list_etag(request, response, session, settings.secret_key, if_none_match)
    query = dataclasses.replace(filters, limit=limit, cursor=cursor)
    items, next_cursor = claims.list_claims(session, query, settings.secret_key)
    return fast_json_tagged({"items": items, "next_cursor": next_cursor}, tag)


@router.get("/{claim_id}", response_model=ClaimDetailOut, responses={**NOT_MODIFIED, **problems(404)})
def get_claim(
    claim_id: uuid.UUID,
    response: Response,
    session: SessionDep,
    _actor: PrincipalDep,
    as_of: TimeParam = None,
    if_none_match: IfNoneMatch = None,
) -> claims.ClaimDetailDict:
    """One claim with its evidence and links; `ETag` carries its version. `as_of` shows it as it stood then.

    304 to an `If-None-Match` naming its version, while nothing its answer shows has changed."""
    moment = times.parse_time_bound(as_of, "as_of", end_of_day=True)
    if moment is None:
        for version in versions_named(if_none_match):
            if caching.claim_unchanged_since(session, claim_id, version):
                raise NotModified(etag(version))
    claim = claims.get_claim(session, claim_id, moment)
    response.headers["ETag"] = etag(claim["version"])
    return claim


@router.patch("/{claim_id}", response_model=ClaimDetailOut, responses=problems(403, 404, 412, 428))
def amend_claim(
    claim_id: uuid.UUID,
    body: ClaimPatch,
    response: Response,
    session: SessionDep,
    actor: AnalystDep,
    expected_version: IfMatchDep,
) -> claims.ClaimDetailDict:
    """Correct a claim's record (never its source or status). Needs `If-Match`; old values stay in the ledger."""
    claims.amend_claim(session, actor, claim_id, body, expected_version)
    return _detail(response, session, claim_id)


@router.post("/{claim_id}/status", response_model=ClaimDetailOut, responses=problems(403, 404, 409, 412, 428))
def change_status(
    claim_id: uuid.UUID,
    body: StatusChangeIn,
    response: Response,
    session: SessionDep,
    actor: AnalystDep,
    expected_version: IfMatchDep,
) -> claims.ClaimDetailDict:
    """Move a claim through the verification workflow, with a rationale. Needs `If-Match`."""
    workflow.change_status(session, actor, claim_id, body.status, body.rationale, body.evidence_ids, expected_version)
    return _detail(response, session, claim_id)


@router.post("/{claim_id}/evidence", status_code=201, response_model=EvidenceOut, responses=problems(403, 404))
def add_evidence(
    claim_id: uuid.UUID, body: EvidenceIn, response: Response, session: SessionDep, actor: AnalystDep
) -> dict[str, Any]:
    """Attach an evidence item for or against the claim. Evidence is never changed or removed."""
    evidence_id = claims.add_evidence(session, actor, claim_id, body)
    claim = _detail(response, session, claim_id)
    return next(item for item in claim["evidence"] if item["id"] == evidence_id)


@router.get("/{claim_id}/evidence", response_model=list[EvidenceOut], responses={**NOT_MODIFIED, **problems(404)})
def list_evidence(
    request: Request,
    response: Response,
    claim_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    if_none_match: IfNoneMatch = None,
) -> list[dict[str, Any]]:
    """The claim's evidence, oldest first, each marked independent or not of the claim's party; a list's `ETag`."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    evidence: list[dict[str, Any]] = claims.get_claim(session, claim_id)["evidence"]
    return evidence


@router.post("/{claim_id}/links", status_code=201, response_model=ClaimDetailOut, responses=problems(403, 404, 409))
def add_link(
    claim_id: uuid.UUID, body: LinkIn, response: Response, session: SessionDep, actor: AnalystDep
) -> claims.ClaimDetailDict:
    """Link the claim to another: corroborates, contradicts, duplicates or supersedes."""
    claims.add_link(session, actor, claim_id, body)
    return _detail(response, session, claim_id)


@router.get("/{claim_id}/history", response_model=Page[EventOut], responses={**NOT_MODIFIED, **problems(404)})
def claim_history(
    request: Request,
    response: Response,
    claim_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any]:
    """Every ledger event about the claim, oldest first, a page at a time: who changed what, when and why; a
    list's `ETag`."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    items, next_cursor = claims.history(session, claim_id, limit=limit, cursor=cursor, secret=settings.secret_key)
    return {"items": items, "next_cursor": next_cursor}
