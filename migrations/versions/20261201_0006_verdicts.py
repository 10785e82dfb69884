"""Verdicts bound to what they judged; REPLACE refused on the append-only tables.

- `verdicts` and `verdict_evidence` mirror each claim's current verdict: the event that made it, the digest of
  the assertion it judged, and the evidence it counted (api/services/verdicts.py). They are filled here from
  the ledger for every claim already in a reviewed status. Those verdicts were recorded before events carried
  their basis: the digest is of the assertion as it stood at the verdict's event, the counted evidence is the
  items the event named, or else every item the claim had by then. A claim amended after its verdict (which
  reopens it from now on) keeps its status, with `assertion_matches` false, so `basis_holds` is false for it.
- SQLite: `INSERT OR REPLACE`, `REPLACE INTO` and an upsert over an existing `events` or `evidence` row delete
  or update that row without the UPDATE and DELETE triggers firing (unless `recursive_triggers` is on). A
  BEFORE INSERT trigger that raises when the key is taken fires before conflict resolution, so the database
  refuses them. On PostgreSQL, `INSERT ... ON CONFLICT DO UPDATE` meets the BEFORE UPDATE trigger of 0001.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEWED = ("corroborated", "confirmed", "disputed", "refuted", "unverifiable")
# The assertion's canonical form as api/services/verdicts.py defined it at this revision.
ASSERTION_FIELDS = (
    "statement", "quote", "source_id", "speaker_id", "via", "channel", "channel_detail", "stated_at",
    "stated_at_precision", "event_start", "event_end", "places",
)  # fmt: skip
BATCH = 2000

# On SQLite, what refuses a row whose key is taken (by seq or by hash for events, by id for evidence).
SQLITE_REFUSE_REPLACE = {
    "events": "SELECT 1 FROM events WHERE seq = NEW.seq OR hash = NEW.hash",
    "evidence": "SELECT 1 FROM evidence WHERE id = NEW.id",
}

claims = sa.table(
    "claims",
    sa.column("id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("statement", sa.Text()),
    sa.column("quote", sa.Text()),
    sa.column("source_id", sa.Uuid()),
    sa.column("speaker_id", sa.Uuid()),
    sa.column("channel", sa.String()),
    sa.column("channel_detail", sa.String()),
    sa.column("stated_at", sa.DateTime(timezone=True)),
    sa.column("stated_at_precision", sa.String()),
    sa.column("event_start", sa.DateTime(timezone=True)),
    sa.column("event_end", sa.DateTime(timezone=True)),
)
claim_places = sa.table(
    "claim_places",
    sa.column("claim_id", sa.Uuid()),
    sa.column("position", sa.Integer()),
    sa.column("name", sa.String()),
)
claim_via = sa.table(
    "claim_via",
    sa.column("claim_id", sa.Uuid()),
    sa.column("position", sa.Integer()),
    sa.column("source_id", sa.Uuid()),
)
events = sa.table(
    "events",
    sa.column("seq", sa.BigInteger()),
    sa.column("type", sa.String()),
    sa.column("claim_id", sa.Uuid()),
    sa.column("to_status", sa.String()),
    sa.column("payload", sa.Text()),
)


def _canonical(state: dict[str, Any]) -> str:
    document: dict[str, Any] = {}
    for name in ASSERTION_FIELDS:
        value = state.get(name)
        if name in ("source_id", "speaker_id"):
            document[name] = None if value is None else str(uuid.UUID(str(value)))
        elif name in ("stated_at", "event_start", "event_end"):
            if value is not None:
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
                if moment.tzinfo is None:  # SQLite hands back naive UTC
                    moment = moment.replace(tzinfo=UTC)
                value = moment.astimezone(UTC).isoformat(timespec="microseconds")
            document[name] = value
        elif name == "via":
            document[name] = [str(uuid.UUID(str(item))) for item in value or []]
        elif name == "places":
            document[name] = list(value or [])
        else:
            document[name] = value
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _reviewed_claim_batches(connection: sa.Connection) -> Iterator[list[Any]]:
    last = None
    while True:
        query = sa.select(claims).where(claims.c.status.in_(REVIEWED)).order_by(claims.c.id).limit(BATCH)
        if last is not None:
            query = query.where(claims.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _backfill(connection: sa.Connection) -> None:
    verdicts = sa.table(
        "verdicts",
        sa.column("claim_id", sa.Uuid()),
        sa.column("event_seq", sa.BigInteger()),
        sa.column("assertion_sha256", sa.String()),
        sa.column("assertion_matches", sa.Boolean()),
        sa.column("imported", sa.Boolean()),
    )
    verdict_evidence = sa.table(
        "verdict_evidence", sa.column("claim_id", sa.Uuid()), sa.column("evidence_id", sa.Uuid())
    )
    for rows in _reviewed_claim_batches(connection):
        ids = [row.id for row in rows]
        current: dict[Any, dict[str, Any]] = {row.id: {**row._asdict(), "places": [], "via": []} for row in rows}
        for claim_id, name in connection.execute(
            sa.select(claim_places.c.claim_id, claim_places.c.name)
            .where(claim_places.c.claim_id.in_(ids))
            .order_by(claim_places.c.claim_id, claim_places.c.position)
        ):
            current[claim_id]["places"].append(name)
        for claim_id, source_id in connection.execute(
            sa.select(claim_via.c.claim_id, claim_via.c.source_id)
            .where(claim_via.c.claim_id.in_(ids))
            .order_by(claim_via.c.claim_id, claim_via.c.position)
        ):
            current[claim_id]["via"].append(source_id)
        state: dict[Any, dict[str, Any]] = {}
        evidence: dict[Any, list[str]] = {claim_id: [] for claim_id in ids}
        verdict: dict[Any, tuple[int, str, list[str], bool]] = {}
        for seq, kind, claim_id, to_status, text in connection.execute(
            sa.select(events.c.seq, events.c.type, events.c.claim_id, events.c.to_status, events.c.payload)
            .where(events.c.claim_id.in_(ids))
            .order_by(events.c.claim_id, events.c.seq)
        ):
            payload = orjson.loads(text) if isinstance(text, str | bytes) else text
            if kind in ("claim.created", "claim.imported"):
                state[claim_id] = dict(payload.get("claim", {}))
            elif kind == "claim.amended" and claim_id in state:
                state[claim_id].update(payload.get("after", {}))
            elif kind == "evidence.added":
                evidence[claim_id].append(payload["evidence_id"])
            if to_status is None or claim_id not in state:
                continue
            if to_status in REVIEWED:
                named = payload.get("evidence_ids") or []
                counted = list(dict.fromkeys(named or evidence[claim_id]))
                verdict[claim_id] = (seq, _canonical(state[claim_id]), counted, kind == "claim.imported")
            else:
                verdict.pop(claim_id, None)
        verdict_rows, counted_rows = [], []
        for claim_id in ids:
            if claim_id not in verdict:
                continue  # a status set outside the ledger: `claimdb verify` names it
            seq, digest, counted, imported = verdict[claim_id]
            verdict_rows.append(
                {
                    "claim_id": claim_id,
                    "event_seq": seq,
                    "assertion_sha256": digest,
                    "assertion_matches": digest == _canonical(current[claim_id]),
                    "imported": imported,
                }
            )
            counted_rows += [{"claim_id": claim_id, "evidence_id": uuid.UUID(item)} for item in counted]
        if verdict_rows:
            connection.execute(verdicts.insert(), verdict_rows)
        if counted_rows:
            connection.execute(verdict_evidence.insert(), counted_rows)


def upgrade() -> None:
    op.create_table(
        "verdicts",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assertion_sha256", sa.String(length=64), nullable=False),
        sa.Column("assertion_matches", sa.Boolean(), nullable=False),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_verdicts_claim_id_claims")),
        sa.ForeignKeyConstraint(["event_seq"], ["events.seq"], name=op.f("fk_verdicts_event_seq_events")),
        sa.PrimaryKeyConstraint("claim_id", name=op.f("pk_verdicts")),
        sa.UniqueConstraint("event_seq", name=op.f("uq_verdicts_event_seq")),
    )
    op.create_table(
        "verdict_evidence",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["verdicts.claim_id"], name=op.f("fk_verdict_evidence_claim_id_verdicts")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_verdict_evidence_evidence_id_evidence")
        ),
        sa.PrimaryKeyConstraint("claim_id", "evidence_id", name=op.f("pk_verdict_evidence")),
    )
    with op.batch_alter_table("verdict_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verdict_evidence_evidence_id"), ["evidence_id"], unique=False)
    _backfill(op.get_bind())
    if op.get_bind().dialect.name == "sqlite":
        for table, taken in SQLITE_REFUSE_REPLACE.items():
            op.execute(
                f"CREATE TRIGGER {table}_refuse_replace BEFORE INSERT ON {table} WHEN EXISTS ({taken}) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row with this key exists, REPLACE refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in SQLITE_REFUSE_REPLACE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_replace")
    with op.batch_alter_table("verdict_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verdict_evidence_evidence_id"))
    op.drop_table("verdict_evidence")
    op.drop_table("verdicts")
