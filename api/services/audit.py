"""Reading the ledger: filters, the change feed (`since_seq`) and chain verification."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.database import Database
from api.errors import InvalidInput
from api.services import ledger, merkle, replay
from api.services.auth import actor_names
from api.services.pagination import decode_cursor, encode_cursor
from models import Actor, Event


def describe_events(session: Session, statement: Select[Any]) -> list[dict[str, Any]]:
    """Events shaped as `EventOut`, each with its actor's name."""
    events = list(session.scalars(statement))
    names = actor_names(session, (event.actor_id for event in events if event.actor_id))
    leaves = merkle.leaf_hashes(session, (event.seq for event in events))
    return [
        {
            "seq": event.seq,
            "type": event.type,
            "actor": {"id": event.actor_id, "name": names[event.actor_id]} if event.actor_id else None,
            "at": event.at,
            "claim_id": event.claim_id,
            "source_id": event.source_id,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "rationale": event.rationale,
            "payload": event.payload,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
            "leaf_hash": leaves[event.seq].hex() if event.seq in leaves else None,
        }
        for event in events
    ]


@dataclass
class AuditQuery:
    actor: str | None = None
    type: str | None = None
    claim: uuid.UUID | None = None
    source: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None
    since_seq: int | None = None
    limit: int = 50
    cursor: str | None = None


def _resolve_actor(session: Session, value: str) -> uuid.UUID:
    try:
        actor_id = uuid.UUID(value)
    except ValueError:
        found = session.scalar(select(Actor.id).where(Actor.name == value))
    else:
        found = session.scalar(select(Actor.id).where(Actor.id == actor_id))
    if found is None:
        raise InvalidInput(f"actor: no actor has the id or name {value!r}.", parameter="actor")
    return found


def list_events(session: Session, query: AuditQuery, secret: str) -> tuple[list[dict[str, Any]], str | None]:
    """The ledger oldest first; `since_seq=N` starts after event N, so a consumer can follow every change."""
    statement = select(Event)
    if query.actor is not None:
        statement = statement.where(Event.actor_id == _resolve_actor(session, query.actor))
    if query.type is not None:
        statement = statement.where(Event.type == query.type)
    if query.claim is not None:
        statement = statement.where(Event.claim_id == query.claim)
    if query.source is not None:
        statement = statement.where(Event.source_id == query.source)
    if query.since is not None:
        statement = statement.where(Event.at >= query.since)
    if query.until is not None:
        statement = statement.where(Event.at <= query.until)
    after = query.since_seq or 0
    if query.cursor:
        (cursor_seq,) = decode_cursor(secret, "seq", query.cursor)
        after = max(after, int(cursor_seq))
    if after:
        statement = statement.where(Event.seq > after)
    events = describe_events(session, statement.order_by(Event.seq).limit(query.limit + 1))
    next_cursor = None
    if len(events) > query.limit:
        events = events[: query.limit]
        next_cursor = encode_cursor(secret, "seq", [events[-1]["seq"]])
    return events, next_cursor


def verify(session: Session) -> dict[str, Any]:
    """The hash chain recomputed, then every projection compared with what the events imply (`VerifyOut`).

    A broken chain is reported with its first broken row; the projections are still compared, so a tampered
    table is named either way.
    """
    return _verdict_of(ledger.verify(session), replay.compare_projections(session))


def verify_in_processes(database: Database, jobs: int) -> dict[str, Any]:
    """`verify`, with the claims cut into `jobs` id ranges, each replayed by a process of its own while this one
    checks the chain and the other tables: the command line's verify, which uses the machine's cores.

    Each process reads in a snapshot of its own. What one part checks (a claim with its events, rows, evidence,
    links and verdict) lies inside its snapshot, so writes meanwhile cannot make a part disagree with itself.
    """
    with database.transaction(write=False) as session:
        parts = replay.claim_parts(session, jobs)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no connection is shared across a fork
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [
            pool.submit(_verify_claims_part, str(database.url.render_as_string(hide_password=False)), start, stop)
            for start, stop in parts
        ]
        with database.transaction(write=False) as session:
            chain = ledger.verify(session)
            report = replay.compare_the_rest(session)
        for future in futures:
            report.merge(future.result())
    return _verdict_of(chain, report)


def _verify_claims_part(database_url: str, start: str | None, stop: str | None) -> dict[str, Any]:
    database = Database(database_url)
    try:
        with database.transaction(write=False) as session:
            return replay.compare_claims(session, start, stop).as_dict()
    finally:
        database.dispose()


def _verdict_of(chain: dict[str, Any], report: replay.Report) -> dict[str, Any]:
    if chain["ok"] and not report.found:
        checked = dict(sorted(report.checked.items(), key=lambda item: replay.TABLE_ORDER.index(item[0])))
        return {"ok": True, "events": chain["events"], "checked": checked}
    return {
        "ok": False,
        "events": chain["events"],
        "first_broken_seq": chain.get("first_broken_seq"),
        "reason": chain.get("reason"),
        "mismatches": report.mismatches,
        "mismatches_found": report.found,
    }
