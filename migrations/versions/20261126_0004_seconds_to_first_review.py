"""claims.seconds_to_first_review: how long a claim waited for its first review, kept beside its status.

A source's scorecard reports the median wait from a claim's recording to its first event into a reviewed
status. Finding each claim's first review in the ledger took one probe into `events` per claim, and the
median then needed every wait in Python: 35 ms of SQL for a source with 18,657 claims at 1,000,000 claims
(bench/README.md). The wait is now written on the claim, in the same transaction as the event it follows
from, and one index of `claims` holds a source's waits in order, so the median is read from its middle.
Existing claims are filled in from their events. The two indexes of 0003 only served the old queries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Seconds from `earlier` to `later`, exactly as Python's timedelta.total_seconds() gives them: whole
# microseconds divided by a million. SQLite keeps times as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the whole seconds
# come from strftime, the microseconds from the text.
SQLITE_SECONDS = (
    "(((strftime('%s', {later}) - strftime('%s', {earlier})) * 1000000"
    " + CAST(substr({later}, 21) AS INTEGER) - CAST(substr({earlier}, 21) AS INTEGER)) / 1000000.0)"
)
POSTGRES_SECONDS = "CAST(EXTRACT(EPOCH FROM {later} - {earlier}) AS DOUBLE PRECISION)"


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch copy: on SQLite a copied table would lose the full-text triggers of 0002.
    op.add_column("claims", sa.Column("seconds_to_first_review", sa.Float(), nullable=True))
    seconds = SQLITE_SECONDS if op.get_bind().dialect.name == "sqlite" else POSTGRES_SECONDS
    # The statuses are models.vocabulary.REVIEWED_STATUSES as they stand at this revision. Only the claims
    # that have a reviewing event are touched; the 0003 index on events finds each one's first.
    reviewed = "('corroborated', 'confirmed', 'disputed', 'refuted', 'unverifiable')"
    first_review = (
        f"(SELECT min(events.at) FROM events WHERE events.claim_id = claims.id AND events.to_status IN {reviewed})"
    )
    op.execute(
        f"UPDATE claims SET seconds_to_first_review = {seconds.format(later=first_review, earlier='claims.created_at')}"
        f" WHERE claims.id IN (SELECT claim_id FROM events WHERE to_status IN {reviewed})"
    )
    op.drop_index("ix_events_claim_id_at_to_status", table_name="events")
    op.drop_index("ix_claims_source_id_id_created_at_status", table_name="claims")
    op.create_index(
        "ix_claims_source_id_seconds_to_first_review_status",
        "claims",
        ["source_id", "seconds_to_first_review", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_claims_source_id_seconds_to_first_review_status", table_name="claims")
    op.create_index(
        "ix_claims_source_id_id_created_at_status", "claims", ["source_id", "id", "created_at", "status"], unique=False
    )
    op.create_index("ix_events_claim_id_at_to_status", "events", ["claim_id", "at", "to_status"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place, so the full-text triggers on claims survive.
        op.execute("ALTER TABLE claims DROP COLUMN seconds_to_first_review")
    else:
        op.drop_column("claims", "seconds_to_first_review")
