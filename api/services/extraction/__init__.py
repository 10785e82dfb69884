"""Attribution extraction: propose claims, with their sources, from the text of a news report.

The steps, each in its own module and tested on its own:

    sentences   split the text, keeping offsets              (sentences.py)
    cues        find "X said", "according to X", quotations   (cues.py)
    speakers    person, role, organisation, pronouns, names   (speakers.py, directory.py)
    channel     Telegram, interview, update, briefing, ...    (channels.py)
    date        "Saturday", "May 10" against publication      (dates.py)
    places      offline gazetteer and recorded places         (places.py)

`extract` is the service: it reads the recorded sources and places, runs the pipeline, stores nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.services import places as gazetteer_places
from api.services.extraction.directory import SourceDirectory
from api.services.extraction.pipeline import Candidate, extract_candidates
from api.services.extraction.places import candidate_keys
from models import ClaimPlace

# Place keys are looked up in batches so that the IN list stays well within every engine's limits.
_PLACE_BATCH = 500

__all__ = ["Candidate", "SourceDirectory", "extract", "extract_candidates", "recorded_places"]


def recorded_places(session: Session, text: str) -> list[str]:
    """Names of places already attached to claims that the text may mention (one query per 500 names)."""
    keys = sorted(candidate_keys(text))
    found: dict[str, str] = {}
    for offset in range(0, len(keys), _PLACE_BATCH):
        batch = keys[offset : offset + _PLACE_BATCH]
        for key, name in session.execute(
            select(ClaimPlace.name_key, ClaimPlace.name).where(ClaimPlace.name_key.in_(batch)).distinct()
        ):
            found.setdefault(key, name)
    return list(found.values())


def extract(
    session: Session,
    text: str,
    *,
    published_at: date | datetime | None = None,
    outlet: str | None = None,
) -> list[dict[str, Any]]:
    """Candidate claims found in `text`, with names matched to recorded sources; nothing is stored."""
    directory = SourceDirectory.from_session(session)
    candidates = extract_candidates(
        text,
        directory,
        published_at=published_at,
        outlet=outlet,
        recorded_places=recorded_places(session, text),
    )
    proposed = [candidate.as_dict() for candidate in candidates]
    for item in proposed:
        # Each place name proposed with the gazetteer's reading of it, in the candidate's words: posting the
        # candidate's `resolved_places` as its `places` keeps the ids and precisions.
        context = gazetteer_places.Context(text=" ".join(part for part in (item["statement"], item["quote"]) if part))
        item["resolved_places"] = [
            {"name": place.name, "place_id": place.place_id, "precision": place.precision,
             "candidates": place.candidates}
            for place in gazetteer_places.resolve(session, item["places"], context)
        ]  # fmt: skip
    return proposed
