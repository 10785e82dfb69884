"""The match index: `claim_match_terms`, one row per (term, stated_at, claim), built here for every claim.

The terms come from `api.services.matching.text.index_terms`, the one function the claims writer also uses: a
copy frozen into this file would drift from the writer and leave the index answering differently for old claims
and new ones. It is a pure function of the text (no database, no HTTP), the one import from `api` a migration
makes. The build reads the claims in id order, a batch at a time, and writes with executemany on SQLite and COPY
on PostgreSQL; the claim_id index is made after the rows are in.

Self-contained (one new table, nothing else touched), so it can follow any revision.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 20_000


def upgrade() -> None:
    op.create_table(
        "claim_match_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("stated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_match_terms_claim_id_claims")),
        sa.PrimaryKeyConstraint("term", "stated_at", "claim_id", name=op.f("pk_claim_match_terms")),
        sqlite_with_rowid=False,
    )
    _build()
    with op.batch_alter_table("claim_match_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_match_terms_claim_id"), ["claim_id"], unique=False)


def _build() -> None:
    """Index the claims recorded before this revision, in batches of BATCH claims in id order."""
    from api.services.matching.text import index_terms

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    driver = bind.connection.driver_connection
    last = None
    while True:
        # Ids and times are read and written back in the driver's own form, as the claims table holds them.
        after = "" if last is None else "WHERE id > :last"
        rows = bind.execute(
            sa.text(f"SELECT id, statement, language, stated_at FROM claims {after} ORDER BY id LIMIT {BATCH}"),
            {"last": last} if last is not None else {},
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        places: dict = defaultdict(list)
        for claim_id, name in bind.execute(
            sa.text("SELECT claim_id, name FROM claim_places WHERE claim_id >= :first AND claim_id <= :last"),
            {"first": rows[0][0], "last": last},
        ):
            places[claim_id].append(name)
        terms = [
            (term, stated_at, claim_id)
            for claim_id, statement, language, stated_at in rows
            for term in sorted(index_terms(statement, language, places.get(claim_id, [])))
        ]
        cursor = driver.cursor()
        try:
            if sqlite:
                cursor.executemany("INSERT INTO claim_match_terms (term, stated_at, claim_id) VALUES (?, ?, ?)", terms)
            else:
                with cursor.copy("COPY claim_match_terms (term, stated_at, claim_id) FROM STDIN") as copy:
                    for row in terms:
                        copy.write_row(row)
        finally:
            cursor.close()


def downgrade() -> None:
    with op.batch_alter_table("claim_match_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_match_terms_claim_id"))
    op.drop_table("claim_match_terms")
