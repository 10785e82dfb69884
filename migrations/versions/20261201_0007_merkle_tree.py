"""The ledger's Merkle tree: the table of stored subtree hashes, append-only, built for the events already there.

Leaf i is the event with seq i + 1 and its bytes are the canonical JSON the event's chain hash covers (sorted
keys, compact, UTF-8; ids as hyphenated text, `at` as UTC ISO 8601 with microseconds). A leaf's hash is
SHA-256(0x00 ‖ bytes), an interior node's SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1). Hashes are stored in
the order they are written (Go's sumdb tlog layout): leaf n's hash at 2n − popcount(n), then the hash of each
complete subtree it closes.

This migration is self-contained: it carries its own copy of the leaf encoding and of the hashing, so that later
changes to the app cannot change what it builds. It checks each leaf against the event's own chain hash, and
refuses to build a tree over a chain that does not hold (`claimdb verify` says where it breaks).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "tree_hashes"
BATCH = 20_000
FIELDS = (
    "seq", "type", "actor_id", "at", "claim_id", "source_id", "from_status", "to_status", "rationale", "payload",
    "prev_hash",
)  # fmt: skip


def _sqlite_id(value: str | None) -> str | None:
    """SQLite keeps a UUID as 32 hex digits; the leaf writes it hyphenated."""
    if value is None:
        return None
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(value))


def _sqlite_time(value: str) -> str:
    """SQLite keeps naive UTC text, `2024-05-01 12:00:00.123456`; the leaf writes `2024-05-01T12:00:00.123456+00:00`."""
    if len(value) == 26 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}+00:00"
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat(timespec="microseconds")


def _documents(connection: Any, is_sqlite: bool, after: int) -> list[tuple[int, dict[str, Any], str]]:
    columns = ", ".join("payload::text" if name == "payload" and not is_sqlite else name for name in FIELDS)
    cursor = connection.cursor()
    placeholder = "?" if is_sqlite else "%s"
    cursor.execute(f"SELECT {columns}, hash FROM events WHERE seq > {placeholder} ORDER BY seq LIMIT {BATCH}", (after,))
    rows = cursor.fetchall()
    cursor.close()
    documents = []
    for row in rows:
        document = dict(zip(FIELDS, row[:-1], strict=True))
        if is_sqlite:
            for name in ("actor_id", "claim_id", "source_id"):
                document[name] = _sqlite_id(document[name])
            document["at"] = _sqlite_time(document["at"])
        else:
            for name in ("actor_id", "claim_id", "source_id"):
                if document[name] is not None:
                    document[name] = str(document[name])
            document["at"] = document["at"].astimezone(UTC).isoformat(timespec="microseconds")
        document["payload"] = orjson.loads(document["payload"])
        documents.append((document["seq"], document, row[-1]))
    return documents


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _write(connection: Any, is_sqlite: bool, first: int, hashes: list[bytes]) -> None:
    cursor = connection.cursor()
    if is_sqlite:
        cursor.executemany(
            f"INSERT INTO {TABLE} (position, hash) VALUES (?, ?)",
            ((first + offset, node) for offset, node in enumerate(hashes)),
        )
    else:
        with cursor.copy(f"COPY {TABLE} (position, hash) FROM STDIN") as copy:
            for offset, node in enumerate(hashes):
                copy.write_row((first + offset, node))
    cursor.close()


def build_tree() -> None:
    bind = op.get_bind()
    is_sqlite = bind.dialect.name == "sqlite"
    connection = bind.connection.driver_connection
    edge: list[bytes] = []  # the hashes of the tree's complete subtrees, largest first
    size = 0
    written = 0  # hashes stored so far: 2 * size - popcount(size)
    while True:
        documents = _documents(connection, is_sqlite, size)
        if not documents:
            return
        hashes: list[bytes] = []
        for seq, document, chain_hash in documents:
            if seq != size + 1:
                raise RuntimeError(f"events: seq {size + 1} is missing; run `claimdb verify` before migrating")
            leaf = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
            if hashlib.sha256(leaf).hexdigest() != chain_hash:
                raise RuntimeError(
                    f"event {seq} does not hash to its stored hash: the chain is broken (or this migration's "
                    "leaf encoding no longer matches the app's); run `claimdb verify`"
                )
            node = hashlib.sha256(b"\x00" + leaf).digest()
            hashes.append(node)
            completed = size
            while completed & 1:
                node = _node(edge.pop(), node)
                hashes.append(node)
                completed >>= 1
            edge.append(node)
            size += 1
        _write(connection, is_sqlite, written, hashes)
        written += len(hashes)


def create_append_only_triggers() -> None:
    """As for events and evidence (0001): the database itself refuses to change or remove a stored hash."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_refuse_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {action} refused'); END"
            )
        return
    # refuse_append_only_change() is 0001's.
    op.execute(
        f"CREATE TRIGGER {TABLE}_refuse_change BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_refuse_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()"
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column(
            "position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_tree_hashes")),
    )
    build_tree()
    create_append_only_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_refuse_{action}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_refuse_change ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_refuse_truncate ON {TABLE}")
    op.drop_table(TABLE)
