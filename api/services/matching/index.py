"""The match index: `claim_match_terms`, one row per (term, stated_at, claim), and the candidate search over it.

Written in the transaction that records or amends a claim (`write_terms`, `replace_terms`), by the import in its
batches and by migration 0009 for the claims recorded before it, all through `term_rows`.

Finding candidates is one statement: for each term of the request, the claims nearest in time that share it,
at most `PER_TERM` of them (half before the request's time, half after), so that a word every claim uses costs
no more than a rare one. The claims sharing the most (rarest) terms are the candidates the scorer then reads;
the database weighs and ranks them and answers only the best, each with what the scorer reads of it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import TextualSelect, bindparam, delete, insert, text
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


# A term weighs log(1 + per_term / its postings read); sums are compared rounded to 9 places, so that the order of
# the additions cannot break a tie differently on the two engines. The best `read` claims are then joined to what
# the scorer reads of them (`projection.PROJECTED`), in the same statement: one round trip for the candidates.
# On SQLite each claim's terms are summed into a bit mask (term i as 1 << i; at most MAX_QUERY_TERMS), the terms'
# weights counted from the masks in one row, and a claim's weight taken from its mask: joining every posting to
# its term's weight instead was half of the statement's time at 1M claims (bench/README.md).
_SQLITE_RANKED = (
    "WITH postings AS ({postings}), "
    "masks AS MATERIALIZED (SELECT claim_id, sum(1 << term) AS mask FROM postings GROUP BY claim_id), "
    "weights AS MATERIALIZED (SELECT {weights} FROM masks), "
    "ranked AS (SELECT claim_id, round({weight}, 9) AS weight FROM masks, weights "
    "WHERE claim_id NOT IN (:excluded) ORDER BY weight DESC, claim_id LIMIT :read) "
)
# A term no claim has weighs nothing; its count (`total`: 0.0 over no rows, where `sum` is NULL) is taken as 1
# only so that `ln` is never given a NULL or an infinity.
_SQLITE_TERM_WEIGHT = "ln(1 + CAST(:per_term AS REAL) / max(total((mask >> {i}) & 1), 1)) AS w{i}"
_SQLITE_CLAIM_WEIGHT = "((mask >> {i}) & 1) * w{i}"


@functools.lru_cache(maxsize=64)
def _sqlite_statement(term_count: int, windowed: bool) -> TextualSelect:
    """SQLite's candidate statement for `term_count` terms, built once per shape: per term, the claims nearest in
    time (half after the request's time and half before, within the window; or the latest, without a time)."""
    shapes = (_AFTER, _BEFORE) if windowed else (_LATEST,)
    parts = [shape.replace("{i}", str(index)) for index in range(term_count) for shape in shapes]
    ranked = (
        _SQLITE_RANKED.replace("{postings}", " UNION ALL ".join(parts))
        .replace("{weights}", ", ".join(_SQLITE_TERM_WEIGHT.replace("{i}", str(i)) for i in range(term_count)))
        .replace("{weight}", " + ".join(_SQLITE_CLAIM_WEIGHT.replace("{i}", str(i)) for i in range(term_count)))
    )
    statement = text(ranked + projection.PROJECTED)
    statement = statement.bindparams(bindparam("excluded", expanding=True))
    if windowed:
        statement = statement.bindparams(*_time_parameters())
    return statement.columns(*projection.COLUMNS)


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
    if postgres:
        statement = _PG_LATEST if stated_at is None else _PG_WINDOWED
    else:
        statement = _sqlite_statement(len(wanted), stated_at is not None)
        # An id no claim has stands for "none excluded": an empty list would need SQLAlchemy's empty-set form.
        excluded = excluded or [""]
    parameters.update(per_term=per_term, excluded=excluded, read=limit)
    return projection.from_rows(dialect, prebuilt_rows(connection, statement, parameters))
