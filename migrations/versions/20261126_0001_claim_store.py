"""The claim store: sources, documents, claims, evidence, links, the ledger, actors and keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:05:14.805371
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose rows may never change or disappear once written (DESIGN §2): the database refuses it.
APPEND_ONLY_TABLES = ("events", "evidence")


def create_append_only_triggers() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_refuse_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
        return
    op.execute(
        """
        CREATE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_change()"
        )


def drop_append_only_triggers() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in APPEND_ONLY_TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_{action}")
        return
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_change ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS refuse_append_only_change()")


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'analyst', 'reviewer', 'admin')", name=op.f("ck_actors_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actors")),
        sa.UniqueConstraint("name", name=op.f("uq_actors_name")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("affiliation", sa.String(length=100), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=300), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('military', 'government', 'official', 'think_tank', 'armed_group', 'media', 'ngo', 'individual', 'other')",
            name=op.f("ck_sources_kind"),
        ),
        sa.CheckConstraint("reliability IN ('A', 'B', 'C', 'D', 'E', 'F')", name=op.f("ck_sources_reliability")),
        sa.ForeignKeyConstraint(["parent_id"], ["sources.id"], name=op.f("fk_sources_parent_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_sources_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name=op.f("fk_api_keys_actor_id_actors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("outlet_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retrieved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], name=op.f("fk_documents_created_by_id_actors")),
        sa.ForeignKeyConstraint(["outlet_id"], ["sources.id"], name=op.f("fk_documents_outlet_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("url", name=op.f("uq_documents_url")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_outlet_id"), ["outlet_id"], unique=False)

    op.create_table(
        "source_names",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("is_alias", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_source_names_source_id_sources")),
        sa.PrimaryKeyConstraint("source_id", "position", name=op.f("pk_source_names")),
        sa.UniqueConstraint("name_key", name=op.f("uq_source_names_name_key")),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("speaker_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("channel_detail", sa.String(length=1000), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("stated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stated_at_precision", sa.String(length=10), nullable=False),
        sa.Column("event_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('statement', 'briefing', 'update', 'telegram', 'social_media', 'interview', 'broadcast', 'assessment', 'press_release', 'other')",
            name=op.f("ck_claims_channel"),
        ),
        sa.CheckConstraint(
            "stated_at_precision IN ('minute', 'hour', 'day', 'month')",
            name=op.f("ck_claims_stated_at_precision"),
        ),
        sa.CheckConstraint(
            "status IN ('claimed', 'under_review', 'corroborated', 'confirmed', 'disputed', 'refuted', 'unverifiable', 'retracted')",
            name=op.f("ck_claims_status"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_claims_version_positive")),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], name=op.f("fk_claims_created_by_id_actors")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_claims_document_id_documents")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_claims_source_id_sources")),
        sa.ForeignKeyConstraint(["speaker_id"], ["sources.id"], name=op.f("fk_claims_speaker_id_sources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("external_id", name=op.f("uq_claims_external_id")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_created_at_id", ["created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_document_id"), ["document_id"], unique=False)
        batch_op.create_index("ix_claims_source_id_stated_at_id", ["source_id", "stated_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_speaker_id"), ["speaker_id"], unique=False)
        batch_op.create_index("ix_claims_stated_at_id", ["stated_at", "id"], unique=False)
        batch_op.create_index("ix_claims_status_stated_at", ["status", "stated_at"], unique=False)

    op.create_table(
        "claim_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("from_claim_id", sa.Uuid(), nullable=False),
        sa.Column("to_claim_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('corroborates', 'contradicts', 'duplicates', 'supersedes')",
            name=op.f("ck_claim_links_kind"),
        ),
        sa.CheckConstraint("from_claim_id <> to_claim_id", name=op.f("ck_claim_links_not_self")),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], name=op.f("fk_claim_links_created_by_id_actors")),
        sa.ForeignKeyConstraint(["from_claim_id"], ["claims.id"], name=op.f("fk_claim_links_from_claim_id_claims")),
        sa.ForeignKeyConstraint(["to_claim_id"], ["claims.id"], name=op.f("fk_claim_links_to_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_links")),
        sa.UniqueConstraint(
            "from_claim_id", "to_claim_id", "kind", name=op.f("uq_claim_links_from_claim_id_to_claim_id_kind")
        ),
    )
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_links_to_claim_id"), ["to_claim_id"], unique=False)

    op.create_table(
        "claim_places",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_places_claim_id_claims")),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_places")),
    )
    with op.batch_alter_table("claim_places", schema=None) as batch_op:
        batch_op.create_index("ix_claim_places_name_key_claim_id", ["name_key", "claim_id"], unique=False)

    op.create_table(
        "claim_tags",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("tag_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_tags_claim_id_claims")),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_tags")),
        sa.UniqueConstraint("claim_id", "tag_key", name=op.f("uq_claim_tags_claim_id_tag_key")),
    )
    with op.batch_alter_table("claim_tags", schema=None) as batch_op:
        batch_op.create_index("ix_claim_tags_tag_key_claim_id", ["tag_key", "claim_id"], unique=False)

    op.create_table(
        "claim_via",
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_via_claim_id_claims")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_claim_via_source_id_sources")),
        sa.PrimaryKeyConstraint("claim_id", "position", name=op.f("pk_claim_via")),
    )
    with op.batch_alter_table("claim_via", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_via_source_id"), ["source_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name=op.f("fk_events_actor_id_actors")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_events_claim_id_claims")),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name=op.f("fk_events_source_id_sources")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_events_hash")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_actor_id_seq", ["actor_id", "seq"], unique=False)
        batch_op.create_index("ix_events_at", ["at"], unique=False)
        batch_op.create_index("ix_events_claim_id_seq", ["claim_id", "seq"], unique=False)
        batch_op.create_index("ix_events_source_id_seq", ["source_id", "seq"], unique=False)
        batch_op.create_index("ix_events_type_seq", ["type", "seq"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("related_claim_id", sa.Uuid(), nullable=True),
        sa.Column("provided_by_source_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('document', 'imagery', 'claim', 'official_record', 'other')",
            name=op.f("ck_evidence_kind"),
        ),
        sa.CheckConstraint("stance IN ('supports', 'contradicts')", name=op.f("ck_evidence_stance")),
        sa.ForeignKeyConstraint(["added_by_id"], ["actors.id"], name=op.f("fk_evidence_added_by_id_actors")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_evidence_claim_id_claims")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_evidence_document_id_documents")),
        sa.ForeignKeyConstraint(
            ["provided_by_source_id"], ["sources.id"], name=op.f("fk_evidence_provided_by_source_id_sources")
        ),
        sa.ForeignKeyConstraint(["related_claim_id"], ["claims.id"], name=op.f("fk_evidence_related_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "idempotency_keys",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["actors.id"], name=op.f("fk_idempotency_keys_actor_id_actors")),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_idempotency_keys_claim_id_claims")),
        sa.PrimaryKeyConstraint("actor_id", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)

    create_append_only_triggers()


def downgrade() -> None:
    drop_append_only_triggers()
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_claim_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type_seq")
        batch_op.drop_index("ix_events_source_id_seq")
        batch_op.drop_index("ix_events_claim_id_seq")
        batch_op.drop_index("ix_events_at")
        batch_op.drop_index("ix_events_actor_id_seq")

    op.drop_table("events")
    with op.batch_alter_table("claim_via", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_via_source_id"))

    op.drop_table("claim_via")
    with op.batch_alter_table("claim_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_tags_tag_key_claim_id")

    op.drop_table("claim_tags")
    with op.batch_alter_table("claim_places", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_places_name_key_claim_id")

    op.drop_table("claim_places")
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_links_to_claim_id"))

    op.drop_table("claim_links")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_status_stated_at")
        batch_op.drop_index("ix_claims_stated_at_id")
        batch_op.drop_index(batch_op.f("ix_claims_speaker_id"))
        batch_op.drop_index("ix_claims_source_id_stated_at_id")
        batch_op.drop_index(batch_op.f("ix_claims_document_id"))
        batch_op.drop_index(batch_op.f("ix_claims_created_by_id"))
        batch_op.drop_index("ix_claims_created_at_id")

    op.drop_table("claims")
    op.drop_table("source_names")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_outlet_id"))

    op.drop_table("documents")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_actor_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_parent_id"))
        batch_op.drop_index(batch_op.f("ix_sources_kind"))

    op.drop_table("sources")
    op.drop_table("actors")
