"""Matching shapes: what `POST /v1/claims/match` is asked, what it and `POST /v1/claims` suggest, and what
`GET /v1/claims/{id}/related` and `GET /v1/compare` answer."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.claims import MAX_LIST_ITEMS, ClaimDetailOut, ClaimOut, ClaimRecordChecks
from api.schemas.common import LanguageTag, Name, Quote, Ref, Statement, UtcDatetime

Relation = Literal["same_assertion", "related", "contradicts"]
MAX_CANDIDATES = 50
DEFAULT_CANDIDATES = 10


class MatchIn(ClaimRecordChecks):
    statement: Statement = Field(description="The assertion to look for, as it would be posted.")
    quote: Quote | None = None
    source_id: uuid.UUID | None = Field(default=None, description="Its origin: says whether a match is independent.")
    stated_at: UtcDatetime | None = Field(default=None, description="When it was said: nearer claims match better.")
    places: list[Name] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    language: LanguageTag | None = Field(default=None, description="en, uk or ru; judged by the letters if absent.")
    limit: int = Field(default=DEFAULT_CANDIDATES, ge=1, le=MAX_CANDIDATES)


class CandidateOut(BaseModel):
    claim: ClaimOut
    score: float = Field(ge=0, le=1, description="How alike, 0..1 (docs/matching.md says how it is computed).")
    relation: Relation
    reasons: list[str] = Field(description="Why, in words a person can check.")


class MatchOut(BaseModel):
    candidates: list[CandidateOut] = Field(description="Best first.")


class ClaimCreatedOut(ClaimDetailOut):
    similar: list[CandidateOut] = Field(
        description="At most 3 recorded claims at or above the suggestion threshold (0.75): already recorded? "
        "The post is never refused for them."
    )


class RelatedClaimOut(BaseModel):
    claim: ClaimOut
    how: list[str] = Field(description="Links (`duplicates`, `corroborates`, `contradicts`) and/or `match`.")
    score: float | None = Field(description="The match score, when the claims match.")
    reasons: list[str]


class PartyGroupOut(BaseModel):
    party: Ref
    affiliation: str | None
    independent: bool = Field(description="Whether this party differs from the claim's own party.")
    claims: list[RelatedClaimOut]


class RelatedSummaryOut(BaseModel):
    independent_parties: int = Field(description="Parties other than the claim's own that assert the same thing.")
    outlets: int = Field(description="Distinct outlets and intermediaries that relay the same assertion.")
    text: str = Field(description="The summary in words, as the desk shows it.")


class RelatedOut(BaseModel):
    same_assertion: list[PartyGroupOut] = Field(description="Grouped by party; the claim's own party first.")
    contradicts: list[RelatedClaimOut]
    summary: RelatedSummaryOut


class AssertionClusterOut(BaseModel):
    statement: str = Field(description="The cluster's earliest statement, standing for the rest.")
    claims: list[ClaimOut]


class CompareGroupOut(BaseModel):
    party: Ref
    affiliation: str | None
    clusters: list[AssertionClusterOut]


class AffiliationGroupOut(BaseModel):
    affiliation: str | None
    parties: list[CompareGroupOut]


class CompareOut(BaseModel):
    place: str
    stated_from: str | None
    stated_to: str | None
    claims: int
    sides: list[AffiliationGroupOut] = Field(description="By affiliation (UA, RU, …), then by party.")
