"""/v1/audit: the ledger, its change feed and its verification; the ledger as a transparency log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse

from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.routes.claims import TimeParam
from api.routes.common import NOT_MODIFIED, IfNoneMatch, list_etag, problems
from api.schemas.audit import ConsistencyProofOut, InclusionProofOut, LogEventOut
from api.schemas.claims import EventOut, VerifyOut
from api.schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from api.services import audit, times, transparency

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[EventOut], responses={**NOT_MODIFIED, **problems()})
def list_events(
    request: Request,
    response: Response,
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
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any]:
    """The ledger, oldest first. Follow changes by asking again with `since_seq` = the last seq seen (or with
    `If-None-Match`: 304 while the ledger's head is the same)."""
    list_etag(request, response, session, settings.secret_key, if_none_match)
    query = audit.AuditQuery(
        actor=actor,
        type=type,
        claim=claim,
        source=source,
        since=times.parse_time_bound(since, "since"),
        until=times.parse_time_bound(until, "until", end_of_day=True),
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


# The largest seq either engine can hold (a signed 64-bit integer).
MAX_SEQ = 2**63 - 1
_TEXT: dict[int | str, dict[str, Any]] = {200: {"content": {"text/plain": {"schema": {"type": "string"}}}}}
_CHECKPOINT_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {
        **problems(404)[404],
        "description": "This claimdb publishes no checkpoints: no signing key is configured (CLAIMDB_LOG_KEY_FILE).",
    },
    503: {
        **problems(503)[503],
        "description": "The ledger no longer extends the last signed checkpoint (or its stored tree is incomplete): "
        "the log refuses to sign, and `claimdb verify` says where.",
    },
}


@router.get("/checkpoint", response_class=PlainTextResponse, responses={**_TEXT, **problems(), **_CHECKPOINT_PROBLEMS})
def checkpoint(request: Request, session: SessionDep, _actor: PrincipalDep) -> PlainTextResponse:
    """The log's latest checkpoint, a C2SP signed note, with the witnesses' cosignatures gathered so far."""
    note = transparency.latest_checkpoint(session, request.app.state.log)
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get(
    "/log-key", response_class=PlainTextResponse, responses={**_TEXT, **problems(), 404: _CHECKPOINT_PROBLEMS[404]}
)
def log_key(request: Request, _actor: PrincipalDep) -> PlainTextResponse:
    """The verifier key of the log's checkpoints: `<name>+<key id>+<base64(0x01 ‖ Ed25519 public key)>`."""
    log = transparency.require(request.app.state.log)
    return PlainTextResponse(log.key.verifier.vkey + "\n", media_type="text/plain; charset=utf-8")


_TREE_INCOMPLETE: dict[int | str, dict[str, Any]] = {
    503: {**problems(503)[503], "description": "The stored tree lacks a hash it needs: `claimdb verify` says where."}
}


@router.get("/events/{seq}", response_model=LogEventOut, responses={**problems(404), **_TREE_INCOMPLETE})
def log_event(seq: Annotated[int, Path(ge=1, le=MAX_SEQ)], session: SessionDep, _actor: PrincipalDep) -> dict[str, Any]:
    """One event as in `/v1/audit`, with its leaf bytes (base64) and its leaf hash in the tree."""
    return transparency.event_with_leaf(session, seq)


@router.get("/proof/inclusion", response_model=InclusionProofOut, responses={**problems(), **_TREE_INCOMPLETE})
def inclusion_proof(
    session: SessionDep,
    _actor: PrincipalDep,
    seq: Annotated[int, Query(le=MAX_SEQ, description="The event's seq (its leaf is seq − 1).")],
    size: Annotated[int, Query(le=MAX_SEQ, description="The tree size the proof is for, at most the log's size.")],
) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of event `seq` in the tree of `size` events."""
    return transparency.inclusion(session, seq, size)


@router.get(
    "/proof/consistency",
    response_model=ConsistencyProofOut,
    response_model_by_alias=True,
    responses={**problems(), **_TREE_INCOMPLETE},
)
def consistency_proof(
    session: SessionDep,
    _actor: PrincipalDep,
    from_size: Annotated[int, Query(alias="from", le=MAX_SEQ, description="The older tree size, at least 1.")],
    to: Annotated[int, Query(le=MAX_SEQ, description="The newer tree size, at most the log's size.")],
) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of `from` events to the tree of `to` events."""
    return transparency.consistency(session, from_size, to)
