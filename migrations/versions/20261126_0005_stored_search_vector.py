"""PostgreSQL: the claim's search document stored in a generated column, and the GIN index built on it.

With the index on the expression, a page of matches sorted by date could be read two ways: collect every
match through the GIN index and sort, or walk the date index and test each claim, recomputing
`to_tsvector` over its statement and quote. The planner prices that recomputation far below its cost, so
for a rare word the walk could be chosen and test tens of thousands of claims: at 1,000,000 claims
`q=thermobaric*` took 240-340 ms walking against 3 ms through the index, and which plan won depended on
the sample the last ANALYZE drew (bench/README.md). Stored, the document is tested without recomputing,
so a wrongly chosen walk costs about a tenth as much and a common word's walk little at all. The
database still keeps it current on insert and amendment (a generated column), as before.

SQLite is unchanged: FTS5 keeps its own index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of 0002; api/services/search.py now queries the column.
POSTGRES_DOCUMENT = "to_tsvector('simple', statement || ' ' || coalesce(quote, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(f"ALTER TABLE claims ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({POSTGRES_DOCUMENT}) STORED")
    op.execute("DROP INDEX ix_claims_search")
    op.execute("CREATE INDEX ix_claims_search ON claims USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX ix_claims_search")
    op.execute("ALTER TABLE claims DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_claims_search ON claims USING gin ({POSTGRES_DOCUMENT})")
