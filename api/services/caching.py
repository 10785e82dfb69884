"""Validators for conditional GETs: a claim's version, a list's ledger head, and when a 304 may be answered.

Every change to data appends an event, so the ledger's head (its last `seq`) names the state of everything a
list shows: the same head and the same query give the same answer. A list's `ETag` is weak (`W/"..."`):
equal heads promise the same items, not the same bytes. It is an HMAC of the head and the query under the
server's secret, so only a validator this server issued can earn a 304.

A claim's `ETag` is its version (the `If-Match` contract). The version counts the events about the claim,
but its answer also shows what other events change: names and parents of sources (`source.updated`: the
names, the parties that decide independence and whether a verdict's basis holds) and links made from other
claims to it (`link.added` on the other claim). `SHARED_EVENT_TYPES` lists those; a 304 is answered only
when none of them came after the claim's own last event. An event type added later that changes a claim's
answer without being about the claim belongs in that list.

Every list answer under `/v1` is tagged so (claims, a source's claims, sources, a source's scorecard, the
audit events, a claim's history and evidence, places, a claim's related claims, the comparison of sides):
each shows only what events made, but for places, whose gazetteer load writes no event (`gazetteer`).

These answers never differ by role: every role that may read them reads the same thing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from api.services.driver_reads import prebuilt_rows
from models import Claim, Event, Place

SHARED_EVENT_TYPES = ("source.updated", "link.added")

_HEAD = select(func.max(Event.seq))
_PLACES = select(func.count()).select_from(Place)
_CLAIM_STATE = select(
    Claim.version,
    select(func.max(Event.seq)).where(Event.claim_id == Claim.id).scalar_subquery(),
).where(Claim.id == bindparam("claim_id"))
# One maximum per type, each read from the end of the (type, seq) index.
_LAST_SHARED = select(
    *(select(func.max(Event.seq)).where(Event.type == kind).scalar_subquery() for kind in SHARED_EVENT_TYPES)
)


def ledger_head(session: Session) -> int:
    """The seq of the ledger's last event (0 when empty), in the session's snapshot.

    Run on the driver's cursor (`prebuilt_rows`): every list answer asks it, and SQLAlchemy's execution
    pipeline costs several times SQLite's work on it."""
    session.flush()  # a driver statement does not autoflush
    return int(prebuilt_rows(session.connection(), _HEAD, {})[0][0] or 0)


def list_validator(
    session: Session, secret: str, path: str, query: list[tuple[str, str]], *, gazetteer: bool = False
) -> str:
    """The weak `ETag` of a list answer: the ledger head and the query (its parameters in a fixed order).

    `gazetteer`: the answer also shows places the gazetteer load wrote, which appends no event; the number of
    places joins the head (the load only adds places, and a place an analyst adds is in the ledger too).
    """
    key = "\n".join([path, *(f"{name}={value}" for name, value in sorted(query))])
    state = f"{ledger_head(session)}" + (f"+{session.execute(_PLACES).scalar_one()}" if gazetteer else "")
    digest = hmac.new(secret.encode(), f"{state}\n{key}".encode(), hashlib.sha256).hexdigest()
    return f'W/"{digest[:32]}"'


def claim_unchanged_since(session: Session, claim_id: uuid.UUID, version: int) -> bool:
    """Whether the claim's answer is still the one served at `version`: same version, and no shared event after it."""
    row = session.execute(_CLAIM_STATE, {"claim_id": claim_id}).first()
    if row is None or row[0] != version:
        return False
    own_last = row[1] or 0
    return all((seq or 0) < own_last for seq in session.execute(_LAST_SHARED).one())
