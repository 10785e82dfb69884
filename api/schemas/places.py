"""Place shapes: a gazetteer record, what is posted to add one, and a claim's place."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import InputModel, Name, distinct_case_insensitively
from models.vocabulary import PlaceKind, PlacePrecision


class PlaceIn(InputModel):
    name: Name
    kind: PlaceKind
    aliases: list[Name] = Field(default_factory=list, max_length=50, description="Other spellings, any script.")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    parent_id: uuid.UUID | None = Field(
        default=None, description="The place it lies in; a facility without coordinates takes the parent's."
    )

    @field_validator("aliases")
    @classmethod
    def aliases_are_distinct(cls, aliases: list[str]) -> list[str]:
        return distinct_case_insensitively(aliases, "aliases")


class PlaceOut(BaseModel):
    id: uuid.UUID
    name: str
    aliases: list[str]
    kind: PlaceKind
    lat: float | None
    lon: float | None
    admin1_code: str | None = Field(description="ISO 3166-2 code of the first-level region it lies in.")
    admin1_name: str | None
    country_code: str | None = Field(description="ISO 3166-1 alpha-2.")
    country_name: str | None
    parent_id: uuid.UUID | None
    geonames_id: int | None
    population: int | None


class ClaimPlaceIn(InputModel):
    """A claim's place as an object: the name as written, and the place and precision when the client knows them."""

    name: Name
    place_id: uuid.UUID | None = None
    precision: PlacePrecision | None = None


class PlaceCandidateOut(BaseModel):
    place_id: uuid.UUID
    label: str = Field(description='How it differs from its namesakes: "Zolochiv, Lviv Oblast, UA".')


class ClaimPlaceOut(BaseModel):
    name: str = Field(description="As written.")
    place_id: uuid.UUID | None = Field(description="The gazetteer's place; null when unresolved.")
    precision: PlacePrecision | None = Field(description="Null when unresolved.")
    candidates: list[PlaceCandidateOut] = Field(
        description="When the name is ambiguous and nothing decided it: the places it could be. Empty otherwise."
    )
