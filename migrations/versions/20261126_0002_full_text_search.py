"""Full-text search over claims' statement and quote: FTS5 on SQLite, a tsvector GIN index on PostgreSQL.

Both are kept current by the database itself (triggers on SQLite, an expression index on PostgreSQL),
so every path that writes a claim, now or later, is searchable without help from the code.
The 'simple' configuration and FTS5's unicode61 tokenizer both fold case (Cyrillic included) and do
not stem, so a query means the same on either engine.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must match api/services/search.py, which queries the same expression so PostgreSQL uses the index.
POSTGRES_DOCUMENT = "to_tsvector('simple', statement || ' ' || coalesce(quote, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE claims_fts USING fts5("
            "statement, quote, content='claims', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER claims_fts_insert AFTER INSERT ON claims BEGIN "
            "INSERT INTO claims_fts(rowid, statement, quote) VALUES (new.rowid, new.statement, new.quote); END"
        )
        op.execute(
            "CREATE TRIGGER claims_fts_delete AFTER DELETE ON claims BEGIN "
            "INSERT INTO claims_fts(claims_fts, rowid, statement, quote) "
            "VALUES ('delete', old.rowid, old.statement, old.quote); END"
        )
        op.execute(
            "CREATE TRIGGER claims_fts_update AFTER UPDATE OF statement, quote ON claims BEGIN "
            "INSERT INTO claims_fts(claims_fts, rowid, statement, quote) "
            "VALUES ('delete', old.rowid, old.statement, old.quote); "
            "INSERT INTO claims_fts(rowid, statement, quote) VALUES (new.rowid, new.statement, new.quote); END"
        )
        op.execute("INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')")
    else:
        op.execute(f"CREATE INDEX ix_claims_search ON claims USING gin ({POSTGRES_DOCUMENT})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("claims_fts_insert", "claims_fts_delete", "claims_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS claims_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_claims_search")
