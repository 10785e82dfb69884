"""The one shape of a claim, as every service returns it and `ClaimOut` documents it (CONVENTIONS 4).

`ClaimDict` is what `describe`, `get_claim` (with `ClaimDetailDict`'s evidence, links and verdict) and every list
return; `tests/test_claim_shape.py` holds fully populated pages of it against the OpenAPI schema of `ClaimOut`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services import sources
from api.services.auth import actor_names
from api.services.claims.records import place_state
from models import Document
from models.vocabulary import CREDIBILITY


class RefDict(TypedDict):
    id: uuid.UUID
    name: str


class DocumentRefDict(TypedDict):
    id: uuid.UUID
    title: str
    url: str | None


class PlaceCandidateDict(TypedDict):
    place_id: str
    label: str


class ClaimPlaceDict(TypedDict):
    name: str
    place_id: str | None
    precision: str | None
    candidates: list[PlaceCandidateDict]


class ClaimDict(TypedDict):
    id: uuid.UUID
    statement: str
    quote: str | None
    source: RefDict
    speaker: RefDict | None
    channel: str
    channel_detail: str | None
    document: DocumentRefDict | None
    via: list[RefDict]
    stated_at: datetime
    stated_at_precision: str
    event_start: datetime | None
    event_end: datetime | None
    event_precision: str | None
    places: list[ClaimPlaceDict]
    tags: list[str]
    language: str | None
    external_id: str | None
    status: str
    status_changed_at: datetime
    credibility: int
    version: int
    created_by: RefDict | None
    created_at: datetime


class ClaimDetailDict(ClaimDict):
    """A claim with its evidence, links and verdict (`ClaimDetailOut`)."""

    evidence: list[dict[str, Any]]
    links: list[dict[str, Any]]
    verdict: dict[str, Any] | None


@dataclass
class Refs:
    """The names a page of claims refers to, by id."""

    sources: dict[uuid.UUID, str] = field(default_factory=dict)
    documents: dict[uuid.UUID, tuple[str, str | None]] = field(default_factory=dict)
    actors: dict[uuid.UUID, str] = field(default_factory=dict)


def load_refs(session: Session, states: list[dict[str, Any]]) -> Refs:
    """The names the claim states refer to, in a query per kind (the as-of path; the current path joins them)."""
    source_ids: set[uuid.UUID] = set()
    document_ids: set[uuid.UUID] = set()
    actor_ids: set[uuid.UUID] = set()
    for state in states:
        source_ids.add(state["source_id"])
        if state["speaker_id"]:
            source_ids.add(state["speaker_id"])
        source_ids.update(state["via"])
        if state["document_id"]:
            document_ids.add(state["document_id"])
        if state["created_by_id"]:
            actor_ids.add(state["created_by_id"])
    refs = Refs()
    if source_ids:
        refs.sources = sources.names_of(session, source_ids)
    if document_ids:
        refs.documents = {
            row.id: (row.title, row.url)
            for row in session.execute(
                select(Document.id, Document.title, Document.url).where(Document.id.in_(document_ids))
            )
        }
    if actor_ids:
        refs.actors = actor_names(session, actor_ids)
    return refs


# By the status's text, which is what states hold (a `Status` is that text too).
_CREDIBILITY_BY_VALUE: dict[str, int] = {status.value: rank for status, rank in CREDIBILITY.items()}


def _place(value: Any) -> ClaimPlaceDict:
    """A place as the answer shows it, from whichever form a state holds (`place_state`'s, less the point and
    region, which the answer does not show)."""
    if isinstance(value, str):
        return {"name": value, "place_id": None, "precision": None, "candidates": []}
    place = place_state(value)
    return {
        "name": place["name"],
        "place_id": place["place_id"],
        "precision": place["precision"],
        "candidates": place["candidates"],
    }


def shape(state: dict[str, Any], refs: Refs) -> ClaimDict:
    """One claim as the API returns it (`ClaimOut`), from its state (its row, with `via`, `places`, `tags`).

    Written for a page of fifty: no closures or enum calls per claim, each name looked up once."""
    names = refs.sources
    source_id = state["source_id"]
    speaker_id = state["speaker_id"]
    document_id = state["document_id"]
    document: DocumentRefDict | None = None
    if document_id:
        title, url = refs.documents[document_id]
        document = {"id": document_id, "title": title, "url": url}
    creator = state["created_by_id"]
    status = state["status"]
    return {
        "id": state["id"],
        "statement": state["statement"],
        "quote": state["quote"],
        "source": {"id": source_id, "name": names[source_id]},
        "speaker": {"id": speaker_id, "name": names[speaker_id]} if speaker_id else None,
        "channel": state["channel"],
        "channel_detail": state["channel_detail"],
        "document": document,
        "via": [{"id": item, "name": names[item]} for item in state["via"]],
        "stated_at": state["stated_at"],
        "stated_at_precision": state["stated_at_precision"],
        "event_start": state["event_start"],
        "event_end": state["event_end"],
        "event_precision": state.get("event_precision"),
        "places": [_place(place) for place in state["places"]],
        "tags": state["tags"],
        "language": state["language"],
        "external_id": state["external_id"],
        "status": status,
        "status_changed_at": state["status_changed_at"],
        "credibility": _CREDIBILITY_BY_VALUE[status],
        "version": state["version"],
        "created_by": {"id": creator, "name": refs.actors[creator]} if creator else None,
        "created_at": state["created_at"],
    }
