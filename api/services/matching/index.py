"""The match index: `claim_match_terms`, one row per (term, stated_at, claim), and the candidate search over it.

Written in the transaction that records or amends a claim (`write_terms`, `replace_terms`), by the import in its
batches and by migration 0009 for the claims recorded before it, all through `term_rows`.

Finding candidates is one statement: for each term of the request, the claims nearest in time that share it,
at most `PER_TERM` of them (half before the request's time, half after), so that a word every claim uses costs
no more than a rare one. The claims sharing the most (rarest) terms are the candidates the scorer then reads.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, literal, select, union_all
from sqlalchemy.orm import Session

from api.services.matching.scoring import WINDOW_DAYS
from api.services.matching.text import index_terms
from models import ClaimMatchTerm

PER_TERM = 200
MAX_QUERY_TERMS = 16


def term_rows(
    claim_id: uuid.UUID, statement: str, language: str | None, places: list[str], stated_at: datetime
) -> list[dict[str, Any]]:
    """The index rows of one claim."""
    return [
        {"term": term, "stated_at": stated_at, "claim_id": claim_id}
        for term in sorted(index_terms(statement, language, places))
    ]


def write_terms(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ClaimMatchTerm), rows)


def replace_terms(session: Session, claim_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    """A claim's terms after an amendment: its old rows go, the new ones come, in the amendment's transaction."""
    session.execute(
        delete(ClaimMatchTerm).where(ClaimMatchTerm.claim_id == claim_id).execution_options(synchronize_session=False)
    )
    write_terms(session, rows)


def candidates(
    session: Session,
    terms: Iterable[str],
    stated_at: datetime | None,
    *,
    limit: int,
    exclude: Iterable[uuid.UUID] = (),
    per_term: int = PER_TERM,
) -> list[uuid.UUID]:
    """The claims that share the most of `terms`, rare terms weighing more, nearest to `stated_at` in time."""
    wanted = sorted(set(terms))[:MAX_QUERY_TERMS] if len(set(terms)) > MAX_QUERY_TERMS else sorted(set(terms))
    if not wanted:
        return []
    table = ClaimMatchTerm.__table__
    parts = []
    half = max(1, per_term // 2)
    for term in wanted:
        base = select(literal(term).label("term"), table.c.claim_id).where(table.c.term == term)
        if stated_at is None:
            parts.append(base.order_by(table.c.stated_at.desc()).limit(per_term).subquery())
            continue
        low, high = stated_at - timedelta(days=WINDOW_DAYS), stated_at + timedelta(days=WINDOW_DAYS)
        after = base.where(table.c.stated_at >= stated_at, table.c.stated_at <= high)
        before = base.where(table.c.stated_at < stated_at, table.c.stated_at >= low)
        parts.append(after.order_by(table.c.stated_at).limit(half).subquery())
        parts.append(before.order_by(table.c.stated_at.desc()).limit(half).subquery())
    statement = union_all(*(select(part.c.term, part.c.claim_id) for part in parts))
    postings: dict[str, list[uuid.UUID]] = defaultdict(list)
    for term, claim_id in session.execute(statement):
        postings[term].append(claim_id)
    excluded = set(exclude)
    weights: dict[uuid.UUID, float] = defaultdict(float)
    for claim_ids in postings.values():
        # A term found in every claim it was allowed to read says little; one found in a few says much.
        weight = math.log(1 + per_term / len(claim_ids))
        for claim_id in claim_ids:
            if claim_id not in excluded:
                weights[claim_id] += weight
    ranked = sorted(weights.items(), key=lambda item: (-item[1], str(item[0])))
    return [claim_id for claim_id, _weight in ranked[:limit]]
