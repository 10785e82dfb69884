"""Places as records: add one (an analyst's facility, a village the gazetteer lacks), read one, type-ahead."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.errors import InvalidInput, NotFound
from api.services import ledger
from api.services.auth import Principal, require_role
from api.services.names import name_key
from models import Place, PlaceName
from models.vocabulary import PlaceKind, Role

TYPE_AHEAD_LIMIT = 20


class PlaceDict(TypedDict):
    id: uuid.UUID
    name: str
    aliases: list[str]
    kind: str
    lat: float | None
    lon: float | None
    admin1_code: str | None
    admin1_name: str | None
    country_code: str | None
    country_name: str | None
    parent_id: uuid.UUID | None
    geonames_id: int | None
    population: int | None


def place_label(name: str, admin1_name: str | None, country_code: str | None) -> str:
    """How a place is told apart from its namesakes: "Zolochiv, Lviv Oblast, UA"."""
    return ", ".join(part for part in (name, admin1_name if admin1_name != name else None, country_code) if part)


def _shape(place: Place, names: list[str]) -> PlaceDict:
    return {
        "id": place.id,
        "name": place.name,
        "aliases": names[1:],
        "kind": place.kind,
        "lat": place.lat,
        "lon": place.lon,
        "admin1_code": place.admin1_code,
        "admin1_name": place.admin1_name,
        "country_code": place.country_code,
        "country_name": place.country_name,
        "parent_id": place.parent_id,
        "geonames_id": place.geonames_id,
        "population": place.population,
    }


def _names_of(session: Session, place_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    names: dict[uuid.UUID, list[str]] = {place_id: [] for place_id in place_ids}
    for place_id, name in session.execute(
        select(PlaceName.place_id, PlaceName.name)
        .where(PlaceName.place_id.in_(place_ids))
        .order_by(PlaceName.place_id, PlaceName.position)
    ):
        names[place_id].append(name)
    return names


def get_place(session: Session, place_id: uuid.UUID) -> PlaceDict:
    """One place with its aliases (404 when none has the id)."""
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound(f"No place has the id {place_id}.")
    return _shape(place, _names_of(session, [place_id])[place_id])


def require_place(session: Session, place_id: uuid.UUID, parameter: str) -> Place:
    """The place an input names (422 naming the parameter when there is none)."""
    place = session.get(Place, place_id)
    if place is None:
        raise InvalidInput(f"{parameter}: no place has the id {place_id}.", parameter=parameter)
    return place


def search_places(
    session: Session, q: str, kind: PlaceKind | None = None, limit: int = TYPE_AHEAD_LIMIT
) -> list[PlaceDict]:
    """Places whose name or an alias starts with `q` (case-insensitive), the most populous first.

    A key range (`>= q` and `< q + U+10FFFF`) rather than LIKE, so the B-tree on `name_key` serves it on both
    engines whatever the collation.
    """
    key = name_key(q)
    if not key:
        return []
    matching = (
        select(PlaceName.place_id)
        .where(PlaceName.name_key >= key, PlaceName.name_key < key + "\U0010ffff")
        .distinct()
        .limit(500)
    )
    statement = select(Place).where(Place.id.in_(matching))
    if kind is not None:
        statement = statement.where(Place.kind == kind.value)
    exact = select(PlaceName.place_id).where(PlaceName.name_key == key)
    places = list(
        session.scalars(
            statement.order_by(
                Place.id.in_(exact).desc(), Place.population.desc().nulls_last(), Place.name, Place.id
            ).limit(limit)
        )
    )
    names = _names_of(session, [place.id for place in places])
    return [_shape(place, names[place.id]) for place in places]


def create_place(
    session: Session,
    actor: Principal,
    *,
    name: str,
    kind: PlaceKind,
    aliases: list[str],
    lat: float | None,
    lon: float | None,
    parent_id: uuid.UUID | None,
) -> uuid.UUID:
    """Add a place the gazetteer lacks; recorded in the ledger as `place.created`.

    A place inside a parent takes the parent's region and country; a facility given no coordinates takes the
    parent's (the steel plant is put at its city, and claims about it get the city's point).
    """
    require_role(actor, Role.ANALYST, "Adding a place")
    if (lat is None) != (lon is None):
        raise InvalidInput("Give both lat and lon, or neither.", parameter="lat" if lat is None else "lon")
    now = ledger.clock(session)
    parent = require_place(session, parent_id, "parent_id") if parent_id is not None else None
    if lat is None and parent is not None and kind == PlaceKind.FACILITY:
        lat, lon = parent.lat, parent.lon
    keys = [name_key(item) for item in [name, *aliases]]
    if len(set(keys)) != len(keys):
        raise InvalidInput("A place's name and aliases must differ (case-insensitively).", parameter="aliases")
    row: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": name,
        "kind": kind.value,
        "lat": lat,
        "lon": lon,
        "admin1_code": parent.admin1_code if parent else None,
        "admin1_name": parent.admin1_name if parent else None,
        "country_code": parent.country_code if parent else None,
        "country_name": parent.country_name if parent else None,
        "parent_id": parent_id,
        "geonames_id": None,
        "iso_code": None,
        "population": None,
        "created_by_id": actor.id,
        "created_at": now,
    }
    session.execute(insert(Place), [row])
    session.execute(
        insert(PlaceName),
        [
            {"place_id": row["id"], "position": index, "name": item, "name_key": key}
            for index, (item, key) in enumerate(zip([name, *aliases], keys, strict=True))
        ],
    )
    payload = {
        name: (str(value) if isinstance(value, uuid.UUID) else value)
        for name, value in row.items()
        if name not in ("created_by_id", "created_at")
    }
    ledger.append(
        session, "place.created", actor_id=actor.id, at=now, payload={"place": {**payload, "aliases": aliases}}
    )
    return uuid.UUID(str(row["id"]))
