"""The audit ledger: append one hash-chained event per mutation, verify the chain, read it back.

Appends are serialised so that `seq` is gapless and each row names its predecessor's hash: on SQLite
by the `BEGIN IMMEDIATE` write transaction, on PostgreSQL by a transaction-scoped advisory lock taken
before the first read of the chain's head. The lock also orders the ledger clock: an event's `at` is
never earlier than its predecessor's, so "as it stood at T" can be answered by seq order.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import event as orm_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import tlog_verify
from api.services import bulk, merkle
from models import Event
from models.base import utc_now

GENESIS_HASH = "0" * 64
# An arbitrary constant naming claimdb's ledger lock among PostgreSQL advisory locks.
LEDGER_LOCK_KEY = 0x636C61696D6462
_HEAD_KEY = "claimdb.ledger_head"
_HEAD_QUERY = select(Event.seq, Event.hash, Event.at).order_by(Event.seq.desc()).limit(1)


@dataclass
class _Head:
    seq: int
    hash: str
    at: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


# The columns an event's hash covers: all of them but the hash itself.
HASHED_FIELDS = (
    "seq", "type", "actor_id", "at", "claim_id", "source_id", "from_status", "to_status", "rationale", "payload",
    "prev_hash",
)  # fmt: skip


def canonical_bytes(row: Mapping[str, Any]) -> bytes:
    """The canonical JSON (sorted keys, compact, UTF-8) of an event row's `HASHED_FIELDS`.

    What the event's chain hash covers, and its leaf in the Merkle tree (docs/transparency-log.md).
    """
    document = {name: row[name] for name in HASHED_FIELDS}
    for name in ("actor_id", "claim_id", "source_id"):
        document[name] = _canonical_id(document[name])
    document["at"] = _iso(document["at"])
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def compute_hash(row: Mapping[str, Any]) -> str:
    """SHA-256 over `canonical_bytes` of an event row."""
    return hashlib.sha256(canonical_bytes(row)).hexdigest()


def _head(session: Session) -> _Head:
    """Lock the ledger for this transaction (once) and return the chain's current head."""
    cached = session.info.get(_HEAD_KEY)
    if isinstance(cached, _Head):
        return cached
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK_KEY})
    row = session.execute(_HEAD_QUERY).first()
    head = _Head(0, GENESIS_HASH, datetime.min.replace(tzinfo=UTC)) if row is None else _Head(*row)
    session.info[_HEAD_KEY] = head
    return head


def clock(session: Session) -> datetime:
    """The time to stamp this transaction's changes with: now, but never before the ledger's last event.

    Taking it also takes the ledger lock, so call it before reading what a write depends on.
    """
    head = _head(session)
    return max(utc_now(), head.at)


@dataclass
class NewEvent:
    """An event to be appended by `append_many`; `seq`, `at`, `prev_hash` and `hash` are the ledger's to assign."""

    type: str
    actor_id: uuid.UUID | None
    claim_id: uuid.UUID | None = None
    source_id: uuid.UUID | None = None
    from_status: str | None = None
    to_status: str | None = None
    rationale: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def append(
    session: Session,
    type: str,
    *,
    actor_id: uuid.UUID | None,
    claim_id: uuid.UUID | None = None,
    source_id: uuid.UUID | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    rationale: str | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Write the next event of the chain in the caller's transaction."""
    event = NewEvent(type, actor_id, claim_id, source_id, from_status, to_status, rationale, payload or {})
    append_many(session, [event], at or utc_now())


def append_many(session: Session, events: Sequence[NewEvent], at: datetime) -> None:
    """Write the next events of the chain in one bulk insert, in the caller's transaction.

    For bulk writers (import): one executemany instead of one ORM flush per event, with the same hashes
    and ordering rules as `append`.
    """
    if not events:
        return
    session.flush()  # the rows the events name (a new claim, a new source) must exist first
    head = _head(session)
    moment = max(at, head.at)
    seq, prev_hash = head.seq, head.hash
    rows = []
    leaves: list[bytes] = []
    for new in events:
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "type": new.type,
            "actor_id": new.actor_id,
            "at": moment,
            "claim_id": new.claim_id,
            "source_id": new.source_id,
            "from_status": new.from_status,
            "to_status": new.to_status,
            "rationale": new.rationale,
            "payload": new.payload,
            "prev_hash": prev_hash,
        }
        leaf = canonical_bytes(row)
        digest = row["hash"] = hashlib.sha256(leaf).hexdigest()
        rows.append(row)
        leaves.append(tlog_verify.leaf_hash(leaf))
        prev_hash = digest
    bulk.insert_rows(session, Event.metadata.tables[Event.__tablename__], rows)
    merkle.append_leaves(session, head.seq, head.hash, leaves, prev_hash)
    session.info[_HEAD_KEY] = _Head(seq, prev_hash, moment)


@orm_event.listens_for(Session, "after_commit")
@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, *_args: Any) -> None:
    """The cached head and the lock behind it last only as long as the transaction."""
    session.info.pop(_HEAD_KEY, None)


def _iter_events(session: Session, batch: int = 2000) -> Iterator[Event]:
    last = 0
    while True:
        rows = session.scalars(select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> dict[str, Any]:
    """Recompute the whole chain, then the Merkle tree; report the first row whose order, link or hash does not hold."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for event in _iter_events(session):
        reason = None
        if event.seq != expected_seq:
            reason = f"expected seq {expected_seq}, found {event.seq}: a row is missing"
        elif event.prev_hash != prev_hash:
            reason = "prev_hash does not match the previous row's hash"
        else:
            recomputed = compute_hash({name: getattr(event, name) for name in HASHED_FIELDS})
            if recomputed != event.hash:
                reason = "the row's content does not match its hash"
        if reason is not None:
            return {
                "ok": False,
                "first_broken_seq": expected_seq,
                "events": expected_seq - 1,
                "reason": reason,
            }
        prev_hash = event.hash
        expected_seq += 1
    tree_fault = merkle.verify_tree(session)
    if tree_fault is not None:
        return {
            "ok": False,
            "first_broken_seq": tree_fault.seq,
            "events": tree_fault.seq - 1,
            "reason": tree_fault.reason,
        }
    return {"ok": True, "events": expected_seq - 1}
