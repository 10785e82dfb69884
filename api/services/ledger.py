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
from sqlalchemy import Text, bindparam, cast, select, text
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from api import tlog_verify
from api.services import bulk, merkle
from api.services.driver_reads import DriverReader
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
) -> int:
    """Write the next event of the chain in the caller's transaction; returns its `seq`."""
    event = NewEvent(type, actor_id, claim_id, source_id, from_status, to_status, rationale, payload or {})
    return append_many(session, [event], at or utc_now())


def append_many(session: Session, events: Sequence[NewEvent], at: datetime) -> int:
    """Write the next events of the chain in one bulk insert, in the caller's transaction; returns the last `seq`.

    For bulk writers (import): one executemany instead of one ORM flush per event, with the same hashes
    and ordering rules as `append`.
    """
    if not events:
        return _head(session).seq
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
    return seq


@orm_event.listens_for(Session, "after_commit")
@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_head(session: Session, *_args: Any) -> None:
    """The cached head and the lock behind it last only as long as the transaction."""
    session.info.pop(_HEAD_KEY, None)


# Rows per read while verifying: large enough that the round trips do not count, small enough to stay flat.
_VERIFY_BATCH = 10_000


def _chain_rows(session: Session) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every event in seq order as (stored hash, the document its hash covers), a batch at a time.

    Read through the driver (`driver_reads`): ids and times are put into the hashed form as text, and
    payloads decoded by orjson, which is what makes verifying millions of events quick.
    """
    reader = DriverReader(session)
    columns = Event.__table__.c
    query = (
        select(
            *(reader.id_column(columns[name]) if name in ("actor_id", "claim_id", "source_id") else columns[name]
              for name in HASHED_FIELDS if name != "payload"),
            cast(Event.payload, Text),
            Event.hash,
        )
        .where(Event.seq > bindparam("last", type_=Event.seq.type))
        .order_by(Event.seq)
        .limit(_VERIFY_BATCH)
    )  # fmt: skip
    hyphenated, iso_utc = reader.hyphenated, reader.iso_utc
    last = 0
    while True:
        rows = reader.rows(query, {"last": last})
        if not rows:
            return
        for (
            seq,
            type_,
            actor_id,
            at,
            claim_id,
            source_id,
            from_status,
            to_status,
            rationale,
            prev_hash,
            payload,
            stored,
        ) in rows:
            yield (
                stored,
                {
                    "seq": seq,
                    "type": type_,
                    "actor_id": hyphenated(actor_id),
                    "at": iso_utc(at),
                    "claim_id": hyphenated(claim_id),
                    "source_id": hyphenated(source_id),
                    "from_status": from_status,
                    "to_status": to_status,
                    "rationale": rationale,
                    "payload": orjson.loads(payload),
                    "prev_hash": prev_hash,
                },
            )
        last = rows[-1][0]


def verify(session: Session) -> dict[str, Any]:
    """Recompute the whole chain and the Merkle tree over it, in one pass in seq order; report the first event
    whose order, link, hash or place in the stored tree does not hold."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    sort_keys = orjson.OPT_SORT_KEYS
    tree = merkle.TreeCheck(session)
    leaf_hash = tlog_verify.leaf_hash

    def broken(seq: int, reason: str) -> dict[str, Any]:
        return {"ok": False, "first_broken_seq": seq, "events": seq - 1, "reason": reason}

    for stored_hash, document in _chain_rows(session):
        leaf = orjson.dumps(document, option=sort_keys)  # the canonical bytes: the chain's and the tree's
        if document["seq"] != expected_seq:
            return broken(expected_seq, f"expected seq {expected_seq}, found {document['seq']}: a row is missing")
        if document["prev_hash"] != prev_hash:
            return broken(expected_seq, "prev_hash does not match the previous row's hash")
        if hashlib.sha256(leaf).hexdigest() != stored_hash:
            return broken(expected_seq, "the row's content does not match its hash")
        fault = tree.add(expected_seq, leaf_hash(leaf))
        if fault is not None:
            return broken(fault.seq, fault.reason)
        prev_hash = stored_hash
        expected_seq += 1
    fault = tree.finish()
    if fault is not None:
        return broken(fault.seq, fault.reason)
    return {"ok": True, "events": expected_seq - 1}
