"""/v1/audit: the ledger, its change feed and its verification."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.routes.claims import TimeParam
from api.routes.common import problems
from api.schemas.claims import EventOut, VerifyOut
from api.schemas.common import Page
from api.services import audit, claims
from api.services.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[EventOut], responses=problems())
def list_events(
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    actor: Annotated[str | None, Query(max_length=300, description="An actor's id or name.")] = None,
    type: Annotated[str | None, Query(max_length=40, description="e.g. claim.status_changed")] = None,
    claim: uuid.UUID | None = None,
    source: uuid.UUID | None = None,
    since: TimeParam = None,
    until: TimeParam = None,
    since_seq: Annotated[int | None, Query(ge=0, description="Only events after this seq: the change feed.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> dict[str, Any]:
    """The ledger, oldest first. Follow changes by asking again with `since_seq` = the last seq seen."""
    query = audit.AuditQuery(
        actor=actor,
        type=type,
        claim=claim,
        source=source,
        since=claims.parse_time_bound(since, "since"),
        until=claims.parse_time_bound(until, "until", end_of_day=True),
        since_seq=since_seq,
        limit=limit,
        cursor=cursor,
    )
    items, next_cursor = audit.list_events(session, query, settings.secret_key)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/verify", response_model=VerifyOut, response_model_exclude_unset=True, responses=problems())
def verify(session: SessionDep, _actor: PrincipalDep) -> dict[str, Any]:
    """Recompute the ledger's hash chain and compare every table the API serves from with what the events
    imply; name the first broken row of the chain and each differing row and field (at most 100)."""
    return audit.verify(session)
