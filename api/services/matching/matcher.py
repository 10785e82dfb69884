"""Matching a statement against the recorded claims: `POST /v1/claims/match` and the `similar` of a post.

Stores nothing. Candidates come from the index (`index.candidates`), are read in the one claim shape
(`claims.describe`), and are scored (`scoring.score_pair`) against the request, party against party.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy.orm import Session

from api.schemas.claims import ClaimIn
from api.services import parties, sources
from api.services.claims.reading import describe
from api.services.claims.shape import ClaimDict
from api.services.matching import index
from api.services.matching.scoring import (
    RELATED_MINIMUM,
    SUGGESTION_THRESHOLD,
    Side,
    score_pair,
)
from api.services.matching.text import features, index_terms, place_keys, surface_names

# How many claims the index hands the scorer for each candidate answered: enough that the best are among them.
READ_PER_ANSWER = 3
MIN_READ = 20
SIMILAR_LIMIT = 3


class CandidateDict(TypedDict):
    claim: ClaimDict
    score: float
    relation: str
    reasons: list[str]


@dataclass(frozen=True)
class MatchRequest:
    statement: str
    quote: str | None = None
    source_id: uuid.UUID | None = None
    stated_at: datetime | None = None
    places: list[str] = field(default_factory=list)
    language: str | None = None
    limit: int = 10


def side_of(
    statement: str,
    language: str | None,
    places: list[str],
    stated_at: datetime | None,
    party_id: uuid.UUID | None,
    party_name: str | None,
) -> Side:
    return Side(
        features=features(statement, language, tuple(places)),
        places=place_keys(places),
        place_names=surface_names(statement, places),
        stated_at=stated_at,
        party_id=party_id,
        party_name=party_name,
    )


def _party_names(
    session: Session, source_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, str]]:
    party_of = parties.parties(session, source_ids)
    return party_of, sources.names_of(session, set(party_of.values()))


def score_claims(
    session: Session, request: MatchRequest, claims: list[ClaimDict], minimum: float = RELATED_MINIMUM
) -> list[CandidateDict]:
    """Score recorded claims against the request; those at `minimum` or above, best first."""
    source_ids = {claim["source"]["id"] for claim in claims}
    if request.source_id is not None:
        source_ids.add(request.source_id)
    party_of, party_names = _party_names(session, source_ids)
    request_party = party_of.get(request.source_id) if request.source_id is not None else None
    query = side_of(
        request.statement,
        request.language,
        request.places,
        request.stated_at,
        request_party,
        party_names.get(request_party) if request_party is not None else None,
    )
    found: list[CandidateDict] = []
    for claim in claims:
        party = party_of.get(claim["source"]["id"])
        candidate = side_of(
            claim["statement"],
            claim["language"],
            claim["places"],
            claim["stated_at"],
            party,
            party_names.get(party) if party is not None else None,
        )
        result = score_pair(query, candidate)
        if result.score >= minimum:
            found.append(
                {"claim": claim, "score": result.score, "relation": result.relation, "reasons": result.reasons}
            )
    found.sort(key=lambda item: (-item["score"], str(item["claim"]["id"])))
    return found


def match(
    session: Session,
    request: MatchRequest,
    *,
    exclude: Iterable[uuid.UUID] = (),
    minimum: float = RELATED_MINIMUM,
    per_term: int = index.PER_TERM,
) -> list[CandidateDict]:
    """The recorded claims most like the request, best first, at most `request.limit`."""
    terms = index_terms(request.statement, request.language, request.places)
    read = max(MIN_READ, READ_PER_ANSWER * request.limit)
    claim_ids = index.candidates(session, terms, request.stated_at, limit=read, exclude=exclude, per_term=per_term)
    claims = describe(session, claim_ids)
    return score_claims(session, request, claims, minimum)[: request.limit]


def request_of(body: ClaimIn, limit: int = 10) -> MatchRequest:
    """The match request a claim's post makes."""
    return MatchRequest(
        statement=body.statement,
        quote=body.quote,
        source_id=body.source_id,
        stated_at=body.stated_at,
        places=list(body.places),
        language=body.language,
        limit=limit,
    )


def similar(session: Session, claim_id: uuid.UUID, request: MatchRequest) -> list[CandidateDict]:
    """What a new post may already be: at most 3 claims at or above the suggestion threshold, itself excluded."""
    limited = MatchRequest(**{**request.__dict__, "limit": SIMILAR_LIMIT})
    return match(session, limited, exclude=[claim_id], minimum=SUGGESTION_THRESHOLD)
