"""The event window, served by its indexes at any table size: windows by their start with what a page needs
(the end, both sort keys and the id), and the windows' lengths, so that the longest is one index lookup.

`event_from`/`event_to` ask for windows overlapping a range. A window overlapping [from, to] starts no later than
`to` and no earlier than `from` minus the longest window there is; with that bound the start's index reads a
range as narrow as the windows are long, where before it read every earlier window (bench/README.md). The
lengths' index is an expression index (each engine's own date arithmetic), so the bound is right whatever
writes a window: nothing needs to maintain it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept in step with api/services/places/areas.py (`window_length`), whose query this index answers.
WINDOW_LENGTH = {
    "sqlite": "julianday(event_end) - julianday(event_start)",
    "postgresql": "event_end - event_start",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_claims_event_start_event_end", table_name="claims")
    op.create_index(
        "ix_claims_event_start_event_end_stated_at_created_at_id",
        "claims",
        ["event_start", "event_end", "stated_at", "created_at", "id"],
        unique=False,
        sqlite_where=sa.text("event_start IS NOT NULL"),
        postgresql_where=sa.text("event_start IS NOT NULL"),
    )
    op.execute(
        f"CREATE INDEX ix_claims_event_length ON claims (({WINDOW_LENGTH[dialect]})) WHERE event_end IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_claims_event_length")
    op.drop_index("ix_claims_event_start_event_end_stated_at_created_at_id", table_name="claims")
    op.create_index("ix_claims_event_start_event_end", "claims", ["event_start", "event_end"], unique=False)
