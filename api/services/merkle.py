"""The ledger as a Merkle tree (RFC 9162 §2.1): stored subtree hashes, roots, proofs, and the full check.

Leaf i is the event with seq i + 1, its bytes the canonical JSON its chain hash covers (`ledger.canonical_bytes`).
Every complete subtree's hash is stored once in `tree_hashes`, numbered in the order they are written (as Go's
sumdb tlog does): appending leaf n writes its leaf hash at position 2n − popcount(n), then the hash of each
subtree that leaf completes, at the next positions. So the subtree of height h ending at leaf n is at
`position(n) + h`, and the tree of size n has 2n − popcount(n) rows. A root, an inclusion proof or a consistency
proof is computed from O(log n) of them, read in one query.

Appends happen in the event's own transaction (`append_leaves`, called by `ledger.append_many` under the ledger
lock). Only the hashes on the tree's right edge are needed to append: they are kept from the process's last
append when the ledger's head is still where that append left it, and read otherwise.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, func, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from api import tlog_verify
from api.errors import ServiceUnavailable
from api.services import bulk
from api.services.driver_reads import DriverReader
from models import Event, TreeHash

_EDGE_KEY = "claimdb.tree_edge"
_TABLE = TreeHash.metadata.tables[TreeHash.__tablename__]
_READ = select(TreeHash.position, TreeHash.hash).where(TreeHash.position.in_(bindparam("positions", expanding=True)))


# ---- numbering --------------------------------------------------------------------------------------------


def stored_count(size: int) -> int:
    """How many hashes a tree of `size` leaves stores."""
    return 2 * size - size.bit_count()


def position(level: int, index: int) -> int:
    """Where the hash of the complete subtree `index` of height `level` (leaves index·2^level …) is stored."""
    last_leaf = ((index + 1) << level) - 1  # the leaf whose append completed it
    return stored_count(last_leaf) + level


def _largest_power_of_two_below(size: int) -> int:
    return 1 << ((size - 1).bit_length() - 1)


def _subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) that cover leaves [start, end), largest first.

    Every range a proof asks for starts at a multiple of the power of two at or above its length (RFC 9162's
    split guarantees it), so these are aligned, and its hash is theirs folded from the right.
    """
    nodes = []
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


# ---- appending ---------------------------------------------------------------------------------------------


class Edge(NamedTuple):
    """The tree's right edge: its size and the hashes of its complete subtrees, largest (leftmost) first."""

    size: int
    hashes: tuple[bytes, ...]


def extend(edge: Edge, leaf_hashes: Iterable[bytes]) -> tuple[Edge, list[bytes]]:
    """Append leaves: the new edge, and the hashes to store, in position order from `stored_count(edge.size)`."""
    size, hashes = edge.size, list(edge.hashes)
    written: list[bytes] = []
    for node in leaf_hashes:
        written.append(node)
        completed = size
        while completed & 1:
            node = tlog_verify.node_hash(hashes.pop(), node)
            written.append(node)
            completed >>= 1
        hashes.append(node)
        size += 1
    return Edge(size, tuple(hashes)), written


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of adjacent complete subtrees, largest first (RFC 9162's MTH over their leaves)."""
    if not hashes:
        return tlog_verify.EMPTY_ROOT
    node = hashes[-1]
    for left in reversed(hashes[:-1]):
        node = tlog_verify.node_hash(left, node)
    return node


def _read(session: Session, positions: Iterable[int]) -> dict[int, bytes]:
    wanted = sorted(set(positions))
    if not wanted:
        return {}
    return {row.position: bytes(row.hash) for row in session.execute(_READ, {"positions": wanted})}


def read_edge(session: Session, size: int) -> Edge:
    """The stored right edge of the tree of `size` leaves."""
    nodes = _subtrees(0, size)
    found = _read(session, (position(level, index) for level, index in nodes))
    try:
        return Edge(size, tuple(found[position(level, index)] for level, index in nodes))
    except KeyError:
        raise TreeIncomplete(f"The stored tree lacks hashes of the tree of {size} leaves") from None


class TreeIncomplete(ServiceUnavailable):
    """The stored tree lacks a hash it should have: the database was cut or edited (`claimdb verify` says where)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}: run `claimdb verify`.")


# The right edge each engine's last committed append left, with the chain hash of the event it ends at. Reused
# by the next append when the ledger's head (read under the ledger lock) is still that event: one query fewer
# per write. Any other writer (another process, a restore, a forger) moves the head, and the edge is read again.
_committed_edges: weakref.WeakKeyDictionary[Engine, tuple[str, Edge]] = weakref.WeakKeyDictionary()


def append_leaves(
    session: Session, size: int, head_hash: str, leaf_hashes: Sequence[bytes], new_head_hash: str
) -> None:
    """Store the hashes that appending these leaves to the tree of `size` leaves writes; same transaction.

    Call under the ledger lock (`ledger.append_many` does): `size` and `head_hash` are the ledger's head, and
    `new_head_hash` the chain hash of the last of these events.
    """
    engine = session.get_bind()
    pending = session.info.get(_EDGE_KEY)
    committed = _committed_edges.get(engine) if isinstance(engine, Engine) else None
    if isinstance(pending, tuple) and pending[1].size == size and pending[0] == head_hash:
        edge = pending[1]
    elif committed is not None and committed[1].size == size and committed[0] == head_hash:
        edge = committed[1]
    else:
        edge = read_edge(session, size)
    new_edge, written = extend(edge, leaf_hashes)
    first = stored_count(size)
    bulk.insert_rows(
        session, _TABLE, [{"position": first + offset, "hash": node} for offset, node in enumerate(written)]
    )
    session.info[_EDGE_KEY] = (new_head_hash, new_edge)


@orm_event.listens_for(Session, "after_commit")
def _keep_edge(session: Session) -> None:
    """Once the transaction that wrote an edge is committed, the next one may start from it."""
    pending = session.info.pop(_EDGE_KEY, None)
    engine = session.get_bind()
    if isinstance(pending, tuple) and isinstance(engine, Engine):
        _committed_edges[engine] = pending


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_edge(session: Session, *_args: Any) -> None:
    """A rolled-back edge was never the tree's."""
    session.info.pop(_EDGE_KEY, None)


# ---- roots and proofs --------------------------------------------------------------------------------------


def tree_size(session: Session) -> int:
    """The number of leaves: the ledger's last seq."""
    return int(session.scalar(select(func.coalesce(func.max(Event.seq), 0))) or 0)


def _hashes_of_ranges(session: Session, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """RFC 9162's MTH of each leaf range, from the stored subtrees, read in one query."""
    covers = [_subtrees(start, end) for start, end in ranges]
    found = _read(session, (position(level, index) for nodes in covers for level, index in nodes))
    try:
        return [fold([found[position(level, index)] for level, index in nodes]) for nodes in covers]
    except KeyError:
        raise TreeIncomplete("The stored tree lacks a hash a proof needs") from None


def root(session: Session, size: int) -> bytes:
    return _hashes_of_ranges(session, [(0, size)])[0] if size else tlog_verify.EMPTY_ROOT


def leaf_hashes(session: Session, seqs: Iterable[int]) -> dict[int, bytes]:
    """The stored leaf hash of each event seq that has one."""
    wanted = {seq: position(0, seq - 1) for seq in seqs}
    found = _read(session, wanted.values())
    return {seq: found[at] for seq, at in wanted.items() if at in found}


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make RFC 9162's inclusion proof (PATH) of leaf `index`, bottom up."""
    ranges = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    return ranges[::-1]


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make RFC 9162's consistency proof (PROOF) from `old_size` to `size`."""
    ranges = []
    start, end, old, whole = 0, size, old_size, True
    while old != end - start:
        split = _largest_power_of_two_below(end - start)
        if old <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start += split
            old -= split
            whole = False
    if not whole:
        ranges.append((start, end))
    return ranges[::-1]


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    return _hashes_of_ranges(session, inclusion_ranges(index, size))


def consistency_proof(session: Session, old_size: int, size: int) -> list[bytes]:
    return _hashes_of_ranges(session, consistency_ranges(old_size, size))


# ---- the full check ------------------------------------------------------------------------------------------


class TreeFault(NamedTuple):
    """Where the stored tree and the events part: the first event concerned, and why."""

    seq: int
    reason: str


def iter_leaf_hashes(
    session: Session, after: int, upto: int | None = None, batch: int = 5000
) -> Iterator[tuple[int, bytes]]:
    """(seq, leaf hash) of the events after seq `after` (up to `upto`), computed from their rows, in seq order."""
    from api.services.ledger import HASHED_FIELDS, canonical_bytes

    columns = [Event.__table__.c[name] for name in HASHED_FIELDS]
    last = after
    while True:
        statement = select(*columns).where(Event.seq > last).order_by(Event.seq).limit(batch)
        if upto is not None:
            statement = statement.where(Event.seq <= upto)
        rows = session.execute(statement).mappings().all()
        if not rows:
            return
        for row in rows:
            yield row["seq"], tlog_verify.leaf_hash(canonical_bytes(dict(row)))
        last = rows[-1]["seq"]


class TreeCheck:
    """The stored tree compared with the leaves of the events, given one at a time in seq order.

    The stored hashes are read alongside in position order (through the driver, `driver_reads`), so memory stays
    flat at any size; each leaf is extended onto the right edge and every hash its append writes is compared.
    """

    def __init__(self, session: Session, batch: int = 10_000) -> None:
        self._stored = self._stored_hashes(session, batch)
        self.edge = Edge(0, ())

    @staticmethod
    def _stored_hashes(session: Session, batch: int) -> Iterator[tuple[int, bytes]]:
        reader = DriverReader(session)
        query = (
            select(TreeHash.position, TreeHash.hash)
            .where(TreeHash.position > bindparam("last", type_=TreeHash.position.type))
            .order_by(TreeHash.position)
            .limit(batch)
        )
        last = -1
        while True:
            rows = reader.rows(query, {"last": last})
            if not rows:
                return
            for stored_position, stored_hash in rows:
                yield stored_position, bytes(stored_hash)
            last = rows[-1][0]

    def add(self, seq: int, leaf_hash: bytes) -> TreeFault | None:
        """The next event's leaf; a fault when the stored tree does not hold what its append writes."""
        if seq != self.edge.size + 1:
            return TreeFault(self.edge.size + 1, f"event {self.edge.size + 1} is missing, so leaf {self.edge.size} is")
        at = stored_count(self.edge.size)
        self.edge, written = extend(self.edge, [leaf_hash])
        for offset, expected in enumerate(written):
            found = next(self._stored, None)
            if found is None or found[0] != at + offset:
                return TreeFault(seq, f"the tree lacks the hashes stored for event {seq}")
            if found[1] != expected:
                what = "its leaf hash" if offset == 0 else f"the hash of the subtree of height {offset} it closes"
                return TreeFault(seq, f"event {seq} does not match the tree: {what} differs")
        return None

    def finish(self) -> TreeFault | None:
        """After the last event: a fault when the tree holds hashes beyond it."""
        if next(self._stored, None) is not None:
            size = self.edge.size
            return TreeFault(size + 1, f"the tree holds hashes beyond its last event {size}: events were removed")
        return None
