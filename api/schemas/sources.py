"""Source shapes: what a client sends and what it gets back."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas.common import InputModel, Name, Ref, ShortText, Url, distinct_case_insensitively
from models.vocabulary import Reliability, SourceKind, Status


class SourceIn(InputModel):
    # Shown in /docs, and sent by schemathesis' examples phase (tests/test_fuzz.py).
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Kharkiv Regional Military Administration",
                    "kind": "official",
                    "affiliation": "UA",
                    "aliases": ["Kharkiv RMA"],
                }
            ]
        }
    )

    name: Name
    kind: SourceKind
    affiliation: ShortText | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = None
    role: Name | None = None
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    reliability: Reliability | None = Field(default=None, description="Admiralty grade A–F; admin only.")
    url: Url | None = None

    @field_validator("aliases")
    @classmethod
    def aliases_are_distinct(cls, aliases: list[str]) -> list[str]:
        return distinct_case_insensitively(aliases, "aliases")


class SourcePatch(InputModel):
    """Fields to change; absent fields stay as they are."""

    name: Name | None = None
    kind: SourceKind | None = None
    affiliation: ShortText | None = Field(default=None, max_length=100)
    parent_id: uuid.UUID | None = None
    role: Name | None = None
    aliases: list[Name] | None = Field(default=None, max_length=50)
    reliability: Reliability | None = None
    url: Url | None = None


class SourceOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: SourceKind
    affiliation: str | None
    parent: Ref | None
    party: Ref = Field(description="The root of the source's parent tree: the party it speaks for.")
    role: str | None
    aliases: list[str]
    reliability: Reliability
    url: str | None
    claim_count: int
    created_at: datetime
    updated_at: datetime


class SourceUpdateOut(SourceOut):
    affected_verdicts: list[uuid.UUID] = Field(
        description="Claims whose current verdict counted evidence whose independence this change flipped "
        "(changes of parent_id only): see `basis_holds` on each."
    )


class ScorecardOut(BaseModel):
    source: Ref
    reliability: Reliability
    include_children: bool
    claims: int
    by_status: dict[Status, int] = Field(description="Claims by their current status (every status listed).")
    reviewed: int = Field(description="Claims whose current status is a reviewed one.")
    share_confirmed: float | None = Field(description="Confirmed among reviewed claims; null when none is reviewed.")
    share_refuted: float | None = Field(description="Refuted among reviewed claims; null when none is reviewed.")
    median_seconds_to_first_review: float | None = Field(
        description="Median time from a claim's recording to its first reviewed status."
    )
