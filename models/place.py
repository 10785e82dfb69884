"""The gazetteer: places a claim can name, with where they are and what they belong to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.vocabulary import PlaceKind, check_in


class Place(Base):
    """A settlement, region, facility, body of water or country.

    Rows with a `geonames_id` (settlements) or an ISO 3166 code and no creator (regions, countries) come from the
    gazetteer load; rows with a creator were added by an analyst through the API and are in the ledger.
    `admin1_code` is the ISO 3166-2 code of the first-level region the place lies in (a region's own code).
    """

    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(check_in("kind", PlaceKind), name="kind"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        Index("ix_places_admin1_code_kind", "admin1_code", "kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    admin1_code: Mapped[str | None] = mapped_column(String(10))
    admin1_name: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str | None] = mapped_column(String(2))
    country_name: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("places.id"), index=True)
    geonames_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # An ISO 3166-1 alpha-2 or 3166-2 code for countries and regions: the gazetteer load's key for them.
    iso_code: Mapped[str | None] = mapped_column(String(10), unique=True)
    population: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("actors.id"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PlaceName(Base):
    """A place's name (position 0) and its aliases, case-folded for look-up and type-ahead."""

    __tablename__ = "place_names"
    __table_args__ = (Index("ix_place_names_name_key_place_id", "name_key", "place_id"),)

    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("places.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300))
