"""A claim's history: its events (paged, like every list), and the claim rebuilt from them as of a past time.

`historic_states` folds a claim's events into its state as it stood at a time: the `as_of` answers are built from
the ledger alone, never from the current row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.services import audit
from api.services.claims.records import from_payload
from models import Claim, Event


def historic_states(session: Session, claim_ids: list[uuid.UUID], as_of: datetime) -> dict[uuid.UUID, dict[str, Any]]:
    """Each claim as it stood at `as_of`, folded from its events; claims not yet recorded are absent."""
    states: dict[uuid.UUID, dict[str, Any]] = {}
    events = session.execute(
        select(Event.claim_id, Event.type, Event.at, Event.to_status, Event.payload, Event.actor_id)
        .where(Event.claim_id.in_(claim_ids), Event.at <= as_of)
        .order_by(Event.seq)
    )
    for claim_id, event_type, at, to_status, payload, actor_id in events:
        state = states.get(claim_id)
        if event_type in ("claim.created", "claim.imported"):
            states[claim_id] = {
                "id": claim_id,
                **from_payload(payload["claim"]),
                "status": to_status,
                # An import keeps the time the status was set where the claim came from.
                "status_changed_at": datetime.fromisoformat(payload["status_changed_at"])
                if payload.get("status_changed_at")
                else at,
                "version": 1,
                "created_by_id": actor_id
                if event_type == "claim.created"
                else payload.get("created_by_id") and uuid.UUID(payload["created_by_id"]),
                "created_at": at,
            }
            continue
        if state is None:
            continue
        state["version"] += 1
        if event_type == "claim.amended":
            state.update(from_payload(payload["after"]))
        if to_status is not None:
            state["status"] = to_status
            state["status_changed_at"] = at
    return states


def statement_at(session: Session, claim_id: uuid.UUID, seq: int) -> str | None:
    """The claim's statement as it stood at ledger event `seq`, folded from its events alone."""
    statement = None
    for event_type, payload in session.execute(
        select(Event.type, Event.payload)
        .where(Event.claim_id == claim_id, Event.seq <= seq, Event.type.in_(_STATEMENT_EVENTS))
        .order_by(Event.seq)
    ):
        recorded = payload.get("claim") if event_type != "claim.amended" else payload.get("after")
        if recorded and "statement" in recorded:
            statement = recorded["statement"]
    return statement


_STATEMENT_EVENTS = ("claim.created", "claim.imported", "claim.amended")


def history(
    session: Session, claim_id: uuid.UUID, *, limit: int, cursor: str | None, secret: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Every ledger event about the claim, oldest first, a page at a time: the ledger filtered by the claim."""
    if session.get(Claim, claim_id) is None:
        raise NotFound(f"No claim has the id {claim_id}.")
    return audit.list_events(session, audit.AuditQuery(claim=claim_id, limit=limit, cursor=cursor), secret)
