"""A claim's relations: what asserts the same thing (by links and by matches), grouped by party, and what
contradicts it (`GET /v1/claims/{id}/related`); and what each side says about a place (`GET /v1/compare`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.services import parties, sources
from api.services.claims import records
from api.services.claims.reading import describe
from api.services.claims.shape import ClaimDict, RefDict
from api.services.matching.matcher import MatchRequest, match, side_of
from api.services.matching.scoring import SAME_ASSERTION_THRESHOLD, score_pair
from api.services.matching.text import NAME_PREFIX, place_key
from models import ClaimLink, ClaimMatchTerm, Document, Source
from models.vocabulary import LinkKind

RELATED_LIMIT = 50
COMPARE_LIMIT = 500
_SAME_LINKS = frozenset({LinkKind.DUPLICATES.value, LinkKind.CORROBORATES.value})


class RelatedClaimDict(TypedDict):
    claim: ClaimDict
    how: list[str]
    score: float | None
    reasons: list[str]


class PartyGroupDict(TypedDict):
    party: RefDict
    affiliation: str | None
    independent: bool
    claims: list[RelatedClaimDict]


class RelatedSummaryDict(TypedDict):
    independent_parties: int
    outlets: int
    text: str


class RelatedDict(TypedDict):
    same_assertion: list[PartyGroupDict]
    contradicts: list[RelatedClaimDict]
    summary: RelatedSummaryDict


def _request_of(claim: ClaimDict, limit: int) -> MatchRequest:
    return MatchRequest(
        statement=claim["statement"],
        quote=claim["quote"],
        source_id=claim["source"]["id"],
        stated_at=claim["stated_at"],
        places=records.place_names(claim["places"]),
        language=claim["language"],
        limit=limit,
    )


def _linked(session: Session, claim_id: uuid.UUID) -> dict[uuid.UUID, set[str]]:
    """The claims linked to this one either way, with the kinds of link."""
    found: dict[uuid.UUID, set[str]] = {}
    rows = session.execute(
        select(ClaimLink.from_claim_id, ClaimLink.to_claim_id, ClaimLink.kind).where(
            or_(ClaimLink.from_claim_id == claim_id, ClaimLink.to_claim_id == claim_id)
        )
    )
    for from_id, to_id, kind in rows:
        other = to_id if from_id == claim_id else from_id
        found.setdefault(other, set()).add(kind)
    return found


def _affiliations(session: Session, source_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    ids = set(source_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Source.id, Source.affiliation).where(Source.id.in_(ids))).tuples().all())


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def related(session: Session, claim_id: uuid.UUID) -> RelatedDict:
    """Same-assertion claims (duplicates and corroborates links, matches at the same-assertion threshold) by
    party, the claim's own party first; contradictions (contradicts links, negated matches); a summary."""
    found = describe(session, [claim_id])
    if not found:
        raise NotFound(f"No claim has the id {claim_id}.")
    claim = found[0]
    entries: dict[uuid.UUID, RelatedClaimDict] = {}
    contradicting: dict[uuid.UUID, RelatedClaimDict] = {}
    links = _linked(session, claim_id)
    linked_claims = {item["id"]: item for item in describe(session, list(links))}
    for other_id, kinds in links.items():
        other = linked_claims.get(other_id)
        if other is None:
            continue
        if kinds & _SAME_LINKS:
            entries[other_id] = {"claim": other, "how": sorted(kinds & _SAME_LINKS), "score": None, "reasons": []}
        if LinkKind.CONTRADICTS.value in kinds:
            contradicting[other_id] = {"claim": other, "how": ["contradicts"], "score": None, "reasons": []}
    for candidate in match(session, _request_of(claim, RELATED_LIMIT), exclude=[claim_id]):
        other_id = candidate["claim"]["id"]
        target = None
        if candidate["relation"] == "same_assertion":
            target = entries
        elif candidate["relation"] == "contradicts":
            target = contradicting
        if target is None:
            continue
        entry = target.setdefault(other_id, {"claim": candidate["claim"], "how": [], "score": None, "reasons": []})
        entry["how"].append("match")
        entry["score"] = candidate["score"]
        entry["reasons"] = candidate["reasons"]
    own_source = claim["source"]["id"]
    others = [*entries.values(), *contradicting.values()]
    party_of, party_names = parties.parties_named(
        session, [own_source, *(entry["claim"]["source"]["id"] for entry in others)]
    )
    affiliation = _affiliations(session, party_of.values())
    own_party = party_of.get(own_source, own_source)
    groups: dict[uuid.UUID, PartyGroupDict] = {}
    for entry in sorted(entries.values(), key=lambda item: (item["claim"]["stated_at"], str(item["claim"]["id"]))):
        party = party_of.get(entry["claim"]["source"]["id"], entry["claim"]["source"]["id"])
        group = groups.setdefault(
            party,
            {
                "party": {"id": party, "name": party_names.get(party, "")},
                "affiliation": affiliation.get(party),
                "independent": party != own_party,
                "claims": [],
            },
        )
        group["claims"].append(entry)
    ordered = sorted(groups.values(), key=lambda group: (group["independent"], group["party"]["name"].casefold()))
    relayed = _outlets(session, [claim, *(entry["claim"] for entry in entries.values())])
    asserting = [party_names.get(own_party, claim["source"]["name"])]
    asserting += [group["party"]["name"] for group in ordered if group["independent"]]
    independent = sum(1 for group in ordered if group["independent"])
    text = f"asserted by {_names(asserting)}" + (", independent" if independent else "")
    if relayed:
        text += f"; relayed by {_names(sorted(relayed, key=str.casefold))}"
    contradictors = sorted(
        {
            party_names.get(party_of.get(entry["claim"]["source"]["id"], own_source), entry["claim"]["source"]["name"])
            for entry in contradicting.values()
        },
        key=str.casefold,
    )
    if contradictors:
        text += f"; contradicted by {_names(contradictors)}"
    return {
        "same_assertion": ordered,
        "contradicts": sorted(contradicting.values(), key=lambda item: str(item["claim"]["id"])),
        "summary": {"independent_parties": independent, "outlets": len(relayed), "text": text},
    }


def _outlets(session: Session, claims: list[ClaimDict]) -> set[str]:
    """The outlets of the claims' documents and their intermediaries (`via`), by name."""
    names = {ref["name"] for claim in claims for ref in claim["via"]}
    document_ids = {claim["document"]["id"] for claim in claims if claim["document"] is not None}
    if document_ids:
        outlets = select(Document.outlet_id).where(Document.id.in_(document_ids))
        outlet_ids = {outlet_id for outlet_id in session.scalars(outlets) if outlet_id is not None}
        names |= set(sources.names_of(session, outlet_ids).values())
    return names


class ClusterDict(TypedDict):
    statement: str
    claims: list[ClaimDict]


class CompareGroupDict(TypedDict):
    party: RefDict
    affiliation: str | None
    clusters: list[ClusterDict]


class AffiliationGroupDict(TypedDict):
    affiliation: str | None
    parties: list[CompareGroupDict]


class CompareDict(TypedDict):
    place: str
    stated_from: str | None
    stated_to: str | None
    claims: int
    sides: list[AffiliationGroupDict]


def _cluster(claims: list[ClaimDict]) -> list[ClusterDict]:
    """Claims of one party grouped greedily: each joins the first cluster whose first claim it matches."""
    clusters: list[tuple[Any, ClusterDict]] = []
    for claim in sorted(claims, key=lambda item: (item["stated_at"], str(item["id"]))):
        side = side_of(claim["statement"], claim["language"], records.place_names(claim["places"]), claim["stated_at"])
        for first, cluster in clusters:
            if score_pair(first, side).score >= SAME_ASSERTION_THRESHOLD:
                cluster["claims"].append(claim)
                break
        else:
            clusters.append((side, {"statement": claim["statement"], "claims": [claim]}))
    return [cluster for _side, cluster in clusters]


def compare(
    session: Session,
    place: str,
    stated_from: datetime | None,
    stated_to: datetime | None,
    source_refs: list[str],
    from_text: str | None = None,
    to_text: str | None = None,
) -> CompareDict:
    """The claims about a place (in any script or spelling) in a window, by affiliation, then party, clustered."""
    key = place_key(place)
    query = select(ClaimMatchTerm.claim_id).where(ClaimMatchTerm.term == NAME_PREFIX + key)
    if stated_from is not None:
        query = query.where(ClaimMatchTerm.stated_at >= stated_from)
    if stated_to is not None:
        query = query.where(ClaimMatchTerm.stated_at <= stated_to)
    claim_ids = list(session.scalars(query.order_by(ClaimMatchTerm.stated_at.desc()).limit(COMPARE_LIMIT)))
    claims = describe(session, claim_ids) if key else []
    party_of = parties.parties(session, {claim["source"]["id"] for claim in claims})
    if source_refs:
        wanted = {sources.resolve_reference(session, ref, "source") for ref in source_refs}
        wanted_parties = set(parties.parties(session, wanted).values())
        claims = [
            claim
            for claim in claims
            if claim["source"]["id"] in wanted or party_of.get(claim["source"]["id"]) in wanted_parties
        ]
    party_names = sources.names_of(session, set(party_of.values()))
    affiliation = _affiliations(session, set(party_of.values()) | {claim["source"]["id"] for claim in claims})
    by_party: dict[uuid.UUID, list[ClaimDict]] = {}
    for claim in claims:
        by_party.setdefault(party_of.get(claim["source"]["id"], claim["source"]["id"]), []).append(claim)
    by_affiliation: dict[str | None, list[CompareGroupDict]] = {}
    for party, listed in by_party.items():
        side = affiliation.get(party) or next(
            (affiliation.get(claim["source"]["id"]) for claim in listed if affiliation.get(claim["source"]["id"])),
            None,
        )
        by_affiliation.setdefault(side, []).append(
            {
                "party": {"id": party, "name": party_names.get(party, "")},
                "affiliation": side,
                "clusters": _cluster(listed),
            }
        )
    sides: list[AffiliationGroupDict] = [
        {"affiliation": side, "parties": sorted(groups, key=lambda group: group["party"]["name"].casefold())}
        for side, groups in sorted(by_affiliation.items(), key=lambda item: (item[0] is None, item[0] or ""))
    ]
    return {
        "place": place,
        "stated_from": from_text,
        "stated_to": to_text,
        "claims": len(claims),
        "sides": sides,
    }
