"""The ledger's Merkle tree: every complete subtree's hash, stored once, append-only."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class TreeHash(Base):
    """One hash of the tree over the events (leaf i is event seq i + 1), as Go's sumdb tlog stores them.

    Hashes are numbered in the order they are written: appending leaf n writes its leaf hash, then the hash of
    every complete subtree that leaf closes, so n leaves take 2n − popcount(n) rows and a root or a proof needs
    O(log n) of them (api/services/merkle.py has the numbering). Written in the event's own transaction.
    """

    __tablename__ = "tree_hashes"

    # The storage index; INTEGER on SQLite makes it the rowid, so appends go to the end of the table's b-tree.
    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hash: Mapped[bytes] = mapped_column(LargeBinary)
