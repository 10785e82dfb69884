"""/v1/places: the gazetteer, and places analysts add to it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import AnalystDep, PrincipalDep, SessionDep, SettingsDep
from api.routes.common import NOT_MODIFIED, IfNoneMatch, list_etag, problems
from api.schemas.common import Page
from api.schemas.places import PlaceIn, PlaceOut
from api.services import places
from models.vocabulary import PlaceKind

router = APIRouter(prefix="/places", tags=["places"])


@router.post("", status_code=201, response_model=PlaceOut, responses=problems(403))
def create_place(body: PlaceIn, session: SessionDep, actor: AnalystDep) -> places.PlaceDict:
    """Add a place the gazetteer lacks (a facility, a village); recorded in the ledger."""
    place_id = places.create_place(
        session,
        actor,
        name=body.name,
        kind=body.kind,
        aliases=body.aliases,
        lat=body.lat,
        lon=body.lon,
        parent_id=body.parent_id,
    )
    return places.get_place(session, place_id)


@router.get("", response_model=Page[PlaceOut], responses={**NOT_MODIFIED, **problems()})
def search_places(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    _actor: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=300, description="The start of a name or alias, any script.")],
    kind: PlaceKind | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    if_none_match: IfNoneMatch = None,
) -> dict[str, object]:
    """Type-ahead over places' names and aliases: exact names first, then the most populous. Its weak `ETag`
    names the ledger's head, the number of places (the gazetteer load appends no event) and the query."""
    list_etag(request, response, session, settings.secret_key, if_none_match, gazetteer=True)
    return {"items": places.search_places(session, q, kind, limit), "next_cursor": None}


@router.get("/{place_id}", response_model=PlaceOut, responses=problems(404))
def get_place(place_id: uuid.UUID, session: SessionDep, _actor: PrincipalDep) -> places.PlaceDict:
    """One place with its aliases, region and country."""
    return places.get_place(session, place_id)
