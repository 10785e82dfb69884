"""What an attacker with write access to the database can do to the ledger, for the tests that must catch it.

Each helper first drops the append-only triggers (any superuser can), then rewrites rows as a careful forger
would: with the hash chain recomputed, and (unless asked not to) the Merkle tree too, so that everything the
database holds agrees with itself.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from api.database import Database
from api.services import merkle
from api.services.ledger import HASHED_FIELDS, canonical_bytes
from models import Event, Source, SourceName, TreeHash

GUARDED = ("events", "tree_hashes")


def drop_guards(database: Database) -> None:
    with database.write_engine.begin() as connection:
        for table in GUARDED:
            if database.is_sqlite:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_update"))
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_delete"))
            else:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}"))
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}"))


def _rebuild_tree_from(session: Session, keep: int) -> None:
    """Recompute the tree's hashes for every event after `keep` from the events as they now are."""
    session.execute(delete(TreeHash).where(TreeHash.position >= merkle.stored_count(keep)))
    edge = merkle.read_edge(session, keep)
    leaves = [hashed for _seq, hashed in merkle.iter_leaf_hashes(session, keep)]
    _edge, written = merkle.extend(edge, leaves)
    first = merkle.stored_count(keep)
    if written:
        session.execute(insert(TreeHash), [{"position": first + i, "hash": node} for i, node in enumerate(written)])


def rebuild_tree(database: Database, keep: int) -> None:
    """Recompute the stored tree after the first `keep` events from the events as they are."""
    drop_guards(database)
    with database.transaction() as session:
        _rebuild_tree_from(session, keep)


def rewrite_tail(database: Database, count: int, *, recompute_tree: bool = True, **changes: Any) -> int:
    """Replace the last `count` events by forged ones (their fields updated with `changes`), chain recomputed.

    Returns the number of events kept untouched.
    """
    drop_guards(database)
    with database.transaction() as session:
        size = merkle.tree_size(session)
        keep = size - count
        columns = [Event.__table__.c[name] for name in HASHED_FIELDS]
        tail = session.execute(select(*columns).where(Event.seq > keep).order_by(Event.seq)).mappings().all()
        previous = session.scalar(select(Event.hash).where(Event.seq == keep)) if keep else "0" * 64
        session.execute(delete(Event).where(Event.seq > keep))
        forged = []
        for row in tail:
            event = dict(row)
            event.update({name: value for name, value in changes.items() if name != "to_status" or event["to_status"]})
            event["prev_hash"] = previous
            leaf = canonical_bytes(event)
            event["hash"] = previous = hashlib.sha256(leaf).hexdigest()
            forged.append(event)
        session.execute(insert(Event), forged)
        if recompute_tree:
            _rebuild_tree_from(session, keep)
    return keep


def cut_tail(database: Database, count: int) -> int:
    """Delete the last `count` events with the sources they created, and their tree hashes; returns what is kept."""
    drop_guards(database)
    with database.transaction() as session:
        size = merkle.tree_size(session)
        keep = size - count
        sources = list(session.scalars(select(Event.source_id).where(Event.seq > keep, Event.type == "source.created")))
        session.execute(delete(Event).where(Event.seq > keep))
        session.execute(delete(SourceName).where(SourceName.source_id.in_(sources)))
        session.execute(delete(Source).where(Source.id.in_(sources)))
        session.execute(delete(TreeHash).where(TreeHash.position >= merkle.stored_count(keep)))
    return keep
