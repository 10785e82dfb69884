"""Where and when as filters: claims with a place near a point, inside a box or in a region, and claims whose
event window overlaps a range.

No spatial extension is needed on either engine: `claim_places` keeps each resolved place's latitude and
longitude with a B-tree on (lat, lon, claim_id). A circle is first its bounding box (a latitude range the index
seeks, longitude checked from the same index entries), then the distance, by the equirectangular approximation
at the circle's centre: under 0.5% from the great-circle distance for radii up to 200 km at Ukraine's latitudes,
which is far inside the uncertainty of a `locality` place.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from api.services.names import name_key
from models import Claim, ClaimPlace, Place, PlaceName
from models.vocabulary import PlaceKind

KM_PER_DEGREE = 111.195  # the mean Earth radius (6,371.0 km) times π/180
DEFAULT_RADIUS_KM = 25.0


def _numbers(text: str, count: int, parameter: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise InvalidInput(f"{parameter} takes {count} numbers separated by commas.", parameter=parameter)
    return values


def _check(lat: float, lon: float, parameter: str) -> None:
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise InvalidInput(
            f"{parameter}: a latitude is within ±90 and a longitude within ±180 degrees.", parameter=parameter
        )


def parse_near(text: str | None) -> tuple[float, float] | None:
    """`lat,lon` (422 naming `near` otherwise)."""
    if text is None:
        return None
    lat, lon = _numbers(text, 2, "near")
    _check(lat, lon, "near")
    return lat, lon


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """`minlon,minlat,maxlon,maxlat` as RFC 7946 orders a bounding box; a box may cross the antimeridian
    (minlon > maxlon), not the poles (minlat > maxlat is a 422)."""
    if text is None:
        return None
    min_lon, min_lat, max_lon, max_lat = _numbers(text, 4, "bbox")
    _check(min_lat, min_lon, "bbox")
    _check(max_lat, max_lon, "bbox")
    if min_lat > max_lat:
        raise InvalidInput("bbox: minlat must not be above maxlat.", parameter="bbox")
    return min_lon, min_lat, max_lon, max_lat


def _columns(unindexed: bool) -> tuple[Any, Any, Any]:
    """`claim_places`' latitude, longitude and region, or the same values in a form no index serves: checking a
    page's few claims for membership is quickest by their primary key, and SQLite would otherwise scan a
    crowded area's latitude range instead."""
    if unindexed:
        return ClaimPlace.lat + 0, ClaimPlace.lon + 0, ClaimPlace.admin1_code.concat("")
    return ClaimPlace.lat, ClaimPlace.lon, ClaimPlace.admin1_code


def _longitude_between(longitude: Any, low: float, high: float) -> ColumnElement[bool]:
    if low <= high:
        return longitude.between(low, high)  # type: ignore[no-any-return]
    return or_(longitude >= low, longitude <= high)


def _claims_at(conditions: Any, by_place: bool) -> Select[Any]:
    """Ids of claims whose place meets `conditions`: on `claim_places`' own point, or (`by_place`) on the
    gazetteer's point of the place it names, see `claims_in_box`."""
    if by_place:
        return select(ClaimPlace.claim_id).where(ClaimPlace.place_id.in_(select(Place.id).where(*conditions)))
    return select(ClaimPlace.claim_id).where(*conditions)


def claims_in_box(
    min_lon: float,
    min_lat: float,
    max_lon: float,
    max_lat: float,
    *,
    unindexed: bool = False,
    by_place: bool = False,
) -> Select[Any]:
    """Ids of claims with a resolved place inside the box.

    `by_place`: the claims naming a gazetteer place inside the box, found by `claim_places.place_id`, to count
    how crowded an area is (`listing._area_to_walk`). A claim place's point is its place's, copied when it was
    resolved, so the two agree; counted by the point instead, a crowded latitude band (Lviv and Kharkiv lie
    within 0.2 degrees of each other) is read across all its longitudes: 12 ms for 50 km around Kharkiv at
    1,000,000 claims on SQLite. The answer never depends on this count, only the plan does."""
    latitude, longitude = (Place.lat, Place.lon) if by_place else _columns(unindexed)[:2]
    return _claims_at((latitude.between(min_lat, max_lat), _longitude_between(longitude, min_lon, max_lon)), by_place)


def claims_near(
    lat: float, lon: float, radius_km: float | None, *, unindexed: bool = False, by_place: bool = False
) -> Select[Any]:
    """Ids of claims with a resolved place within `radius_km` (default 25) of the point (`by_place`: as in
    `claims_in_box`)."""
    latitude, longitude = (Place.lat, Place.lon) if by_place else _columns(unindexed)[:2]
    radius = radius_km if radius_km is not None else DEFAULT_RADIUS_KM
    lat_span = radius / KM_PER_DEGREE
    # The box's longitude span is taken at its latitude furthest from the equator, so the box holds the circle.
    widest = min(89.9, abs(lat) + lat_span)
    lon_span = min(180.0, radius / (KM_PER_DEGREE * math.cos(math.radians(widest))))
    scale = math.cos(math.radians(lat))
    low, high = lon - lon_span, lon + lon_span
    if lon_span >= 180:
        longitudes: ColumnElement[bool] = longitude.is_not(None)
    elif low < -180 or high > 180:
        longitudes = _longitude_between(longitude, ((low + 180) % 360) - 180, ((high + 180) % 360) - 180)
    else:
        longitudes = longitude.between(low, high)
    # Across the antimeridian the difference in longitude is taken the short way round.
    delta_lon = longitude - lon
    if low < -180 or high > 180:
        delta_lon = case((func.abs(delta_lon) > 180, 360 - func.abs(delta_lon)), else_=func.abs(delta_lon))
    north = latitude - lat
    east = delta_lon * scale
    return _claims_at(
        (
            latitude.between(lat - lat_span, lat + lat_span),
            longitudes,
            north * north + east * east <= (radius / KM_PER_DEGREE) ** 2,
        ),
        by_place,
    )


_REGION_CODES_KEY = "claimdb.region_codes"


@orm_event.listens_for(Session, "after_commit")
@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_region_codes(session: Session, *_args: Any) -> None:
    """Region codes looked up once per transaction: a list asks for them up to three times (its statement, the
    walk's count and its membership check), and each lookup is two queries."""
    session.info.pop(_REGION_CODES_KEY, None)


def region_codes(session: Session, region: str) -> set[str]:
    """The ISO 3166-2 codes a region filter names: by code ("UA-63"), name or alias ("Kharkiv Oblast",
    "Харківська область", "Kharkiv region"). 422 naming `region` when none does."""
    known: dict[str, set[str]] = session.info.setdefault(_REGION_CODES_KEY, {})
    if region not in known:
        known[region] = _looked_up_region_codes(session, region)
    return set(known[region])


def _looked_up_region_codes(session: Session, region: str) -> set[str]:
    key = name_key(region)
    codes = set(
        session.scalars(
            select(Place.admin1_code)
            .join(PlaceName, PlaceName.place_id == Place.id)
            .where(PlaceName.name_key == key, Place.kind == PlaceKind.REGION.value, Place.admin1_code.is_not(None))
        )
    )
    codes |= set(
        session.scalars(
            select(Place.admin1_code).where(
                func.upper(Place.iso_code) == region.strip().upper(), Place.kind == PlaceKind.REGION.value
            )
        )
    )
    if not codes:
        raise InvalidInput(f"region: no region of the gazetteer is called {region!r}.", parameter="region")
    return {code for code in codes if code}


def claims_in_regions(codes: set[str], *, unindexed: bool = False) -> Select[Any]:
    """Ids of claims with a place in one of the regions (a settlement in it, or the region itself)."""
    _latitude, _longitude, region = _columns(unindexed)
    return select(ClaimPlace.claim_id).where(region.in_(sorted(codes)))


# The longest window, by the expression migration 0011 indexes (`ix_claims_event_length`, over the windows with an
# end), so that it is the first entry of that index: SQLite in days (its datetimes are text), PostgreSQL an interval.
_LONGEST_WINDOW = {
    "sqlite": text(
        "SELECT julianday(event_end) - julianday(event_start) FROM claims WHERE event_end IS NOT NULL "
        "ORDER BY julianday(event_end) - julianday(event_start) DESC LIMIT 1"
    ),
    "postgresql": text(
        "SELECT event_end - event_start FROM claims WHERE event_end IS NOT NULL "
        "ORDER BY event_end - event_start DESC LIMIT 1"
    ),
}
# The lower bound on a window's start is taken this much lower: SQLite's julianday arithmetic is a float of days.
_LENGTH_MARGIN = timedelta(seconds=1)


def longest_window(session: Session) -> timedelta:
    """The longest event window any claim has (zero when none has an end): one lookup in the lengths' index, so
    it holds the moment a longer window is written, whoever writes it."""
    dialect = session.get_bind().dialect.name
    value = session.execute(_LONGEST_WINDOW[dialect]).scalar()
    if value is None:
        return timedelta(0)
    if dialect == "sqlite":
        return max(timedelta(0), timedelta(days=float(value)))
    return max(timedelta(0), value if isinstance(value, timedelta) else timedelta(seconds=float(value)))


def event_overlaps(
    start: datetime | None, end: datetime | None, longest: timedelta | None = None
) -> list[ColumnElement[bool]]:
    """Claims whose event window overlaps [start, end]; a window with no end is the instant it starts.

    `longest`: the longest window there is (`longest_window`). A window overlapping the range then starts no
    earlier than `start - longest`, which bounds the start's index to a range as narrow as the windows are
    long instead of every window before `end`; the overlap itself is still checked exactly."""
    conditions: list[ColumnElement[bool]] = [Claim.event_start.is_not(None)]
    if end is not None:
        conditions.append(Claim.event_start <= end)
    if start is not None:
        if longest is not None:
            conditions.append(Claim.event_start >= start - longest - _LENGTH_MARGIN)
        conditions.append(or_(Claim.event_end >= start, and_(Claim.event_end.is_(None), Claim.event_start >= start)))
    return conditions
