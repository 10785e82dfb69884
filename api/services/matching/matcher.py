"""Matching a statement against the recorded claims: `POST /v1/claims/match` and the `similar` of a post.

Stores nothing. Candidates come from the index (`index.candidates`), are scored (`scoring.score_pair`) against the
request on their projection (`projection.Recorded`: statement, language, places, time, source), and only those
answered are read in the one claim shape (`describe_current`), party against party.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy.orm import Session

from api.errors import NotFound
from api.schemas.claims import ClaimIn
from api.services import claims, parties
from api.services.claims import records
from api.services.claims.reading import describe_current
from api.services.claims.shape import ClaimDetailDict, ClaimDict
from api.services.driver_reads import to_raw_ids
from api.services.matching import index
from api.services.matching.projection import Recorded
from api.services.matching.scoring import (
    RELATED_MINIMUM,
    SUGGESTION_THRESHOLD,
    Score,
    Side,
    score_pair,
)
from api.services.matching.text import features, index_terms, place_keys

# How many claims the index hands the scorer for each candidate answered: enough that the best are among them.
READ_PER_ANSWER = 2
MIN_READ = 12
SIMILAR_LIMIT = 3
# A post pays for its `similar` inside its own write turn: fewer postings a term (the nearest in time) and fewer
# claims scored than a match request, enough to find a repeat, whose rare terms put it first.
SIMILAR_PER_TERM = 60
SIMILAR_READ = 8


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


def side_of(statement: str, language: str | None, places: list[str], stated_at: datetime | None) -> Side:
    """A claim, or the request, as the scorer sees it."""
    return Side(
        features=features(statement, language, tuple(places)),
        places=place_keys(places),
        stated_at=stated_at,
        statement=statement,
        recorded_places=tuple(places),
    )


def _party_names(
    session: Session, source_ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, uuid.UUID], dict[uuid.UUID, str]]:
    return parties.parties_named(session, source_ids)


Found = list[tuple[Recorded, Score]]


def score_recorded(request: MatchRequest, candidates: list[Recorded], minimum: float, limit: int | None) -> Found:
    """Score recorded claims (as `index.candidates` reads them) against the request: the best `limit` at
    `minimum` or above, best first, ties by id."""
    query = side_of(request.statement, request.language, records.place_names(request.places), request.stated_at)
    scored = []
    for candidate in candidates:
        result = score_pair(
            query,
            side_of(candidate.statement, candidate.language, list(candidate.places), candidate.stated_at),
            minimum=minimum,
        )
        if result.score >= minimum:
            scored.append((candidate, result))
    scored.sort(key=lambda item: (-item[1].score, item[0].id_text))
    return scored[:limit] if limit is not None else scored


def answer(session: Session, request: MatchRequest, found: Found, claims: list[ClaimDict]) -> list[CandidateDict]:
    """The candidates found, each with its claim (`claims`, in the claim shape, in the order of `found`), said to
    be of the same party as the request's source or an independent one (parties are looked up for those answered
    only: they change no score)."""
    party_of: dict[uuid.UUID, uuid.UUID] = {}
    party_names: dict[uuid.UUID, str] = {}
    if request.source_id is not None and found:
        party_of, party_names = _party_names(
            session, {request.source_id, *(candidate.source_id for candidate, _result in found)}
        )
    request_party = party_of.get(request.source_id) if request.source_id is not None else None
    answered: list[CandidateDict] = []
    for (candidate, result), claim in zip(found, claims, strict=True):
        reasons = list(result.reasons)
        party = party_of.get(candidate.source_id)
        if request_party is not None and party is not None:
            name = party_names.get(party, claim["source"]["name"])
            if party == request_party:
                reasons.insert(len(reasons) - len(result.blockers), f"the same party ({name})")
            else:
                reasons.insert(
                    len(reasons) - len(result.blockers),
                    f"an independent party ({name}, not {party_names.get(request_party, '')})",
                )
        answered.append({"claim": claim, "score": result.score, "relation": result.relation, "reasons": reasons})
    return answered


def find(
    session: Session,
    request: MatchRequest,
    *,
    exclude: Iterable[uuid.UUID] = (),
    minimum: float = RELATED_MINIMUM,
    per_term: int = index.PER_TERM,
    read: int | None = None,
) -> Found:
    """The recorded claims most like the request, scored, best first, at most `request.limit`; `per_term`
    postings are read for each term, and the `read` best claims among them are scored on their projection."""
    terms = index_terms(request.statement, request.language, request.places)
    read = read or max(MIN_READ, READ_PER_ANSWER * request.limit)
    found = index.candidates(session, terms, request.stated_at, limit=read, exclude=exclude, per_term=per_term)
    return score_recorded(request, found, minimum, request.limit)


def match(
    session: Session,
    request: MatchRequest,
    *,
    exclude: Iterable[uuid.UUID] = (),
    minimum: float = RELATED_MINIMUM,
) -> list[CandidateDict]:
    """The recorded claims most like the request, best first, at most `request.limit`, in the claim shape."""
    found = find(session, request, exclude=exclude, minimum=minimum)
    return answer(session, request, found, describe_current(session, [item.raw_id for item, _result in found]))


def request_of(body: ClaimIn, limit: int = 10) -> MatchRequest:
    """The match request a claim's post makes."""
    return MatchRequest(
        statement=body.statement,
        quote=body.quote,
        source_id=body.source_id,
        stated_at=body.stated_at,
        places=records.place_names(body.places),
        language=body.language,
        limit=limit,
    )


def suggestions(session: Session, request: MatchRequest) -> Found:
    """What a claim about to be posted may already be: the claims recorded before it at or above the suggestion
    threshold, best first, one more than a post answers (`posted_with_similar` leaves out the claim itself, which
    an idempotent replay finds already recorded).

    Searched before the post writes anything: on PostgreSQL the post's first write takes the ledger lock, which
    every writer waits for, and a search under it held the lock about twice as long (bench/README.md)."""
    limited = MatchRequest(**{**request.__dict__, "limit": SIMILAR_LIMIT + 1})
    return find(session, limited, minimum=SUGGESTION_THRESHOLD, per_term=SIMILAR_PER_TERM, read=SIMILAR_READ)


def posted_with_similar(
    session: Session, claim_id: uuid.UUID, request: MatchRequest, found: Found
) -> tuple[ClaimDetailDict, list[CandidateDict]]:
    """A post's answer: the claim recorded, and what it may already be (`similar`: at most 3 of `suggestions`,
    itself left out). The claim and its suggestions are read in one `describe_current`."""
    found = [item for item in found if item[0].id_text != str(claim_id)][:SIMILAR_LIMIT]
    (own_raw_id,) = to_raw_ids(session.get_bind().dialect, [claim_id])
    described = describe_current(session, [own_raw_id, *(item.raw_id for item, _result in found)])
    if not described or described[0]["id"] != claim_id:
        raise NotFound(f"No claim has the id {claim_id}.")
    limited = MatchRequest(**{**request.__dict__, "limit": SIMILAR_LIMIT})
    return claims.with_detail(session, described[0]), answer(session, limited, found, described[1:])
