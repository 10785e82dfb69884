"""Desk sessions on the server: the cookie holds a random id, this table what it signs in as and until when.

Self-contained (one new table, nothing else touched), so it can follow any revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], name=op.f("fk_desk_sessions_api_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_desk_sessions_token_hash")),
    )
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_sessions_api_key_id"), ["api_key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_desk_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_desk_sessions_api_key_id"))
    op.drop_table("desk_sessions")
