"""Claims out as places on a map: GeoJSON (RFC 7946) and ACLED-style CSV, one feature or row per claim and place.

Both are streamed a page at a time like every export. A place without coordinates (unresolved, or a place with
none) cannot be drawn: it is skipped, and the count of those skipped is known before the answer starts
(`count_skipped`, a first pass over the same pages) so it can go in a header; GeoJSON repeats it at the end as a
foreign member. A point of a place known only to its region or country is that region's display point, and its
`precision` says so: it is never the spot.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services import claims
from api.services.claims import ClaimDict
from models import ClaimPlace, Place

PAGE = 1000
# ACLED's geo_precision: 1 the place itself, 2 near it or part of a region around it, 3 only a larger region.
ACLED_GEO_PRECISION = {"exact": 1, "locality": 1, "near": 2, "region": 3, "country": 3}
# ACLED's time_precision: 1 the day is known, 2 the week, 3 the month.
ACLED_TIME_PRECISION = {"minute": 1, "hour": 1, "day": 1, "week": 2, "month": 3}
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "country", "iso", "admin1", "location", "latitude",
    "longitude", "geo_precision", "source", "notes", "claim_id", "status", "credibility",
)  # fmt: skip

_Point = tuple[float | None, float | None, str | None, str | None, str | None]


def points_of(session: Session, items: list[ClaimDict]) -> dict[tuple[uuid.UUID, int], _Point]:
    """Each place's point, region name, country name and code, for a page of claims, in one query."""
    if not items:
        return {}
    rows = session.execute(
        select(
            ClaimPlace.claim_id,
            ClaimPlace.position,
            ClaimPlace.lat,
            ClaimPlace.lon,
            Place.admin1_name,
            Place.country_name,
            Place.country_code,
        )
        .outerjoin(Place, Place.id == ClaimPlace.place_id)
        .where(ClaimPlace.claim_id.in_([item["id"] for item in items]))
    )
    return {(row[0], row[1]): (row[2], row[3], row[4], row[5], row[6]) for row in rows}


def _pages(session: Session, query: claims.ClaimQuery, secret: str) -> Iterator[list[ClaimDict]]:
    cursor: str | None = None
    while True:
        items, cursor = claims.list_claims(session, replace(query, limit=PAGE, cursor=cursor), secret)
        yield items
        if cursor is None:
            return


def count_skipped(session: Session, query: claims.ClaimQuery, secret: str) -> int:
    """How many of the matching claims' places have no coordinates (and are left out of a map export)."""
    skipped = 0
    for items in _pages(session, query, secret):
        points = points_of(session, items)
        for item in items:
            skipped += sum(
                1 for index in range(len(item["places"])) if points.get((item["id"], index), (None,))[0] is None
            )
    return skipped


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _feature(item: ClaimDict, index: int, point: _Point) -> dict[str, Any]:
    place = item["places"][index]
    lat, lon, admin1_name, country_name, _code = point
    return {
        "type": "Feature",
        "id": f"{item['id']}/{index}",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "claim_id": str(item["id"]),
            "statement": item["statement"],
            "status": item["status"],
            "credibility": item["credibility"],
            "source": item["source"]["name"],
            "stated_at": _iso(item["stated_at"]),
            "event_start": _iso(item["event_start"]),
            "event_end": _iso(item["event_end"]),
            "event_precision": item["event_precision"],
            "place": place["name"],
            "place_id": place["place_id"],
            "precision": place["precision"],
            "admin1": admin1_name,
            "country": country_name,
        },
    }


def geojson_chunks(session: Session, query: claims.ClaimQuery, secret: str) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection: a Point feature per claim and place with coordinates."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    skipped = 0
    for items in _pages(session, query, secret):
        points = points_of(session, items)
        features = []
        for item in items:
            for index in range(len(item["places"])):
                point = points.get((item["id"], index))
                if point is None or point[0] is None or point[1] is None:
                    skipped += 1
                    continue
                features.append(orjson.dumps(_feature(item, index, point)))
        if features:
            yield (b"" if first else b",\n") + b",\n".join(features)
            first = False
    yield b'],"skipped_places":' + str(skipped).encode() + b"}\n"


def _event_day(item: ClaimDict) -> tuple[datetime, int]:
    """The event's date and ACLED time precision; the statement's when the claim gives no event window."""
    if item["event_start"] is not None:
        return item["event_start"], ACLED_TIME_PRECISION.get(item["event_precision"] or "day", 1)
    return item["stated_at"], ACLED_TIME_PRECISION.get(item["stated_at_precision"], 1)


def acled_chunks(session: Session, query: claims.ClaimQuery, secret: str) -> Iterator[bytes]:
    """ACLED-style CSV (RFC 4180): a row per claim and place with coordinates, in ACLED's column names, with the
    claim's id, status and credibility after them."""
    from api.services.exporting import spreadsheet_safe

    def chunk(rows: list[list[Any]]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([[spreadsheet_safe(value) for value in row] for row in rows])
        return buffer.getvalue().encode()

    yield chunk([list(ACLED_COLUMNS)])
    for items in _pages(session, query, secret):
        points = points_of(session, items)
        rows = []
        for item in items:
            moment, time_precision = _event_day(item)
            for index, place in enumerate(item["places"]):
                lat, lon, admin1_name, country_name, country_code = points.get((item["id"], index), (None,) * 5)
                if lat is None or lon is None:
                    continue
                rows.append(
                    [
                        f"{item['id']}-{index}",
                        moment.date().isoformat(),
                        moment.year,
                        time_precision,
                        country_name,
                        country_code,
                        admin1_name,
                        place["name"],
                        f"{lat:.5f}",
                        f"{lon:.5f}",
                        ACLED_GEO_PRECISION.get(place["precision"] or "", 3),
                        item["source"]["name"],
                        item["statement"],
                        str(item["id"]),
                        item["status"],
                        item["credibility"],
                    ]
                )
        yield chunk(rows)
