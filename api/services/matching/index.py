"""The match index: `claim_match_terms`, one row per (term, stated_at, claim), and the candidate search over it.

Written in the transaction that records or amends a claim (`write_terms`, `replace_terms`), by the import in its
batches and by migration 0009 for the claims recorded before it, all through `term_rows`.

Finding candidates: for each term of the request, the claims nearest in time that share it, at most `PER_TERM` of
them (half before the request's time, half after), so that a word every claim uses costs no more than a rare one.
The claims sharing the most (rarest) terms are the candidates the scorer then reads; only the best are read with
what the scorer reads of them (PostgreSQL in one statement, SQLite in two: see `_rank`).
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Integer, String, TextualSelect, bindparam, column, delete, insert, text
from sqlalchemy.orm import Session

from api.services.driver_reads import driver_binder, prebuilt_rows, to_raw_ids
from api.services.matching import projection
from api.services.matching.projection import Recorded
from api.services.matching.scoring import WINDOW_DAYS
from api.services.matching.text import index_terms
from models import ClaimMatchTerm
from models.base import UTCDateTime

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


# One term's postings, `{i}` its position in the request: the nearest after the request's time, the nearest before,
# or the latest when there is no time. Every value is a bound parameter.
_AFTER = (
    "SELECT {i} AS term, claim_id FROM (SELECT claim_id FROM claim_match_terms WHERE term = :t{i} "
    "AND stated_at >= :at AND stated_at <= :high ORDER BY stated_at LIMIT :half) AS after_{i}"
)
_BEFORE = (
    "SELECT {i} AS term, claim_id FROM (SELECT claim_id FROM claim_match_terms WHERE term = :t{i} "
    "AND stated_at < :at AND stated_at >= :low ORDER BY stated_at DESC LIMIT :half) AS before_{i}"
)
_LATEST = (
    "SELECT {i} AS term, claim_id FROM (SELECT claim_id FROM claim_match_terms WHERE term = :t{i} "
    "ORDER BY stated_at DESC LIMIT :limit) AS latest_{i}"
)


# A term weighs log(1 + per_term / its postings read), and a claim the sum of its terms' weights; sums are compared
# rounded to 9 places, so that the order of the additions cannot break a tie differently on the two engines. The
# best `read` claims are then joined to what the scorer reads of them (`projection.PROJECTED`).
#
# SQLite reads the postings in one statement and ranks them in Python (`_rank`), then reads the best claims'
# projection in a second: weighing and ranking a few hundred postings in SQLite's bytecode (a bit mask per claim)
# took four times as long as reading them, and the two statements with Python's dict between them two thirds of
# the one statement's time (bench/README.md). In process, the second statement costs no round trip.
@functools.lru_cache(maxsize=64)
def _sqlite_postings(term_count: int, windowed: bool) -> TextualSelect:
    """SQLite's postings statement for `term_count` terms, built once per shape: per term, the claims nearest in
    time (half after the request's time and half before, within the window; or the latest, without a time)."""
    shapes = (_AFTER, _BEFORE) if windowed else (_LATEST,)
    parts = [shape.replace("{i}", str(index)) for index in range(term_count) for shape in shapes]
    statement = text(" UNION ALL ".join(parts))
    if windowed:
        statement = statement.bindparams(*_time_parameters())
    return statement.columns(column("term", Integer()), column("claim_id", String()))


_SQLITE_PROJECTED = text(
    "WITH ranked(claim_id, weight) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
    "FROM json_each(:ranked)) " + projection.PROJECTED
).columns(*projection.COLUMNS)


def _rank(rows: list[Any], term_count: int, per_term: int, excluded: set[Any], read: int) -> list[tuple[Any, float]]:
    """The best `read` claims of SQLite's postings rows (term position, claim id), with their weights: by weight,
    then by id, as PostgreSQL's statement ranks them.

    A claim's weight depends only on which terms it shares, so it is summed once for each such set (a bit mask;
    the postings of a request come in a few dozen sets for a few hundred claims), and the claims are grouped by
    their rounded weight: only the groups that reach the best `read` are sorted."""
    counts = [0] * term_count
    masks: dict[Any, int] = {}
    for term, claim_id in rows:
        counts[term] += 1
        masks[claim_id] = masks.get(claim_id, 0) | (1 << term)
    # A term no claim has weighs nothing; its count is taken as 1 only so that the logarithm is defined.
    weights = [math.log(1 + per_term / max(count, 1)) for count in counts]
    weight_of: dict[int, float] = {}
    by_weight: dict[float, list[Any]] = {}
    for claim_id, mask in masks.items():
        if claim_id in excluded:
            continue
        weight = weight_of.get(mask)
        if weight is None:
            # Summed in term order, as the statement's rows come, and rounded as PostgreSQL rounds its sums.
            weight = weight_of[mask] = round(sum(weights[term] for term in range(term_count) if mask >> term & 1), 9)
        by_weight.setdefault(weight, []).append(claim_id)
    best: list[tuple[Any, float]] = []
    for weight in sorted(by_weight, reverse=True):
        best.extend((claim_id, weight) for claim_id in sorted(by_weight[weight])[: read - len(best)])
        if len(best) >= read:
            break
    return best


def _time_parameters() -> tuple[Any, ...]:
    return (
        bindparam("at", type_=UTCDateTime()),
        bindparam("low", type_=UTCDateTime()),
        bindparam("high", type_=UTCDateTime()),
    )


# PostgreSQL: one statement whatever the number of terms, the terms an array, each read by a LATERAL subquery
# (an index range scan with its limit), and the claims weighed and ranked by the server, which answers only the
# best `read` claims instead of every posting. Its text never changes, so psycopg prepares it once per connection
# and the server plans it once, where the UNION of 2 x terms subqueries was planned anew for every request.
_PG_WINDOWED_POSTINGS = (
    "SELECT t.i AS term, p.claim_id FROM unnest(CAST(:terms AS varchar[])) WITH ORDINALITY AS t(term, i) "
    "CROSS JOIN LATERAL ("
    "(SELECT claim_id FROM claim_match_terms WHERE term = t.term AND stated_at >= :at AND stated_at <= :high "
    "ORDER BY stated_at LIMIT :half) UNION ALL "
    "(SELECT claim_id FROM claim_match_terms WHERE term = t.term AND stated_at < :at AND stated_at >= :low "
    "ORDER BY stated_at DESC LIMIT :half)) AS p"
)
_PG_LATEST_POSTINGS = (
    "SELECT t.i AS term, p.claim_id FROM unnest(CAST(:terms AS varchar[])) WITH ORDINALITY AS t(term, i) "
    "CROSS JOIN LATERAL (SELECT claim_id FROM claim_match_terms WHERE term = t.term "
    "ORDER BY stated_at DESC LIMIT :limit) AS p"
)
_PG_RANKED = (
    "WITH postings AS ({postings}), "
    "weights AS (SELECT term, ln(1 + CAST(:per_term AS float8) / count(*)) AS weight FROM postings GROUP BY term), "
    "ranked AS (SELECT postings.claim_id AS claim_id, round(CAST(sum(weights.weight) AS numeric), 9) AS weight "
    "FROM postings JOIN weights ON weights.term = postings.term "
    "WHERE postings.claim_id <> ALL(CAST(:excluded AS uuid[])) GROUP BY postings.claim_id "
    "ORDER BY weight DESC, postings.claim_id LIMIT :read) "
)
_PG_WINDOWED = (
    text(_PG_RANKED.format(postings=_PG_WINDOWED_POSTINGS) + projection.PROJECTED)
    .bindparams(*_time_parameters())
    .columns(*projection.COLUMNS)
)
_PG_LATEST = text(_PG_RANKED.format(postings=_PG_LATEST_POSTINGS) + projection.PROJECTED).columns(*projection.COLUMNS)


def candidates(
    session: Session,
    terms: Iterable[str],
    stated_at: datetime | None,
    *,
    limit: int,
    exclude: Iterable[uuid.UUID] = (),
    per_term: int = PER_TERM,
) -> list[Recorded]:
    """The claims that share the most of `terms`, rare terms weighing more, nearest to `stated_at` in time, as the
    scorer reads them, best first."""
    wanted = sorted(set(terms))[:MAX_QUERY_TERMS]
    if not wanted:
        return []
    session.flush()  # the statement runs on the driver's cursor: what this transaction wrote must be seen
    connection = session.connection()
    dialect = connection.dialect
    postgres = dialect.name == "postgresql"
    parameters: dict[str, Any] = (
        {"terms": wanted} if postgres else {f"t{index}": term for index, term in enumerate(wanted)}
    )
    if stated_at is None:
        parameters["limit"] = per_term
    else:
        window = timedelta(days=WINDOW_DAYS)
        to_driver = driver_binder(dialect, UTCDateTime)
        parameters.update(
            at=to_driver(stated_at),
            low=to_driver(stated_at - window),
            high=to_driver(stated_at + window),
            half=max(1, per_term // 2),
        )
    excluded = to_raw_ids(dialect, list(exclude))
    if not postgres:
        postings = prebuilt_rows(connection, _sqlite_postings(len(wanted), stated_at is not None), parameters)
        ranked = _rank(postings, len(wanted), per_term, set(excluded), limit)
        if not ranked:
            return []
        rows = prebuilt_rows(connection, _SQLITE_PROJECTED, {"ranked": orjson.dumps(ranked).decode()})
        return projection.from_rows(dialect, rows)
    statement = _PG_LATEST if stated_at is None else _PG_WINDOWED
    parameters.update(per_term=per_term, excluded=excluded, read=limit)
    return projection.from_rows(dialect, prebuilt_rows(connection, statement, parameters))
