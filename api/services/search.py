"""Full-text search over claims (statement and quote), the same query language on both engines.

User input never reaches the engine's query syntax: it is parsed here into words, quoted phrases and
prefixes (`word*`), and each engine's query is rebuilt from those parts alone. Everything else a user
might type (`AND`, `-`, `(`, a lone `"`) is either a plain word or dropped, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Double, Select, bindparam, cast, func, literal_column, select, table, text

# A quoted phrase ("..."), or a run of word characters optionally followed by * (a prefix query).
_TERM = re.compile(r'"([^"]*)"|(\w+)(\*?)')
_WORD = re.compile(r"\w+")

# The stored document and its GIN index (migrations/versions/*_0005_stored_search_vector.py).
POSTGRES_DOCUMENT = "claims.search_vector"
MAX_TERMS = 32


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    prefix: bool = False


def parse(query: str) -> list[Term]:
    """Words, phrases and prefixes in the order typed; operators and stray punctuation are ignored."""
    terms: list[Term] = []
    for match in _TERM.finditer(query):
        phrase, word, star = match.groups()
        if phrase is not None:
            words = tuple(_WORD.findall(phrase))
            if words:
                terms.append(Term(words))
        elif word:
            terms.append(Term((word,), prefix=bool(star)))
    return terms[:MAX_TERMS]


def _fts5_query(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.words) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return " AND ".join(parts)


def _tsquery(terms: list[Term]) -> str:
    parts = []
    for term in terms:
        lexemes = [f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def sqlite_matching_rowids(terms: list[Term]) -> Select[Any]:
    """SQLite only: the rowids of the claims matching every term, unranked (for `claims.rowid IN (...)`)."""
    return (
        select(literal_column("rowid"))
        .select_from(table("claims_fts"))
        .where(text("claims_fts MATCH :fts_query").bindparams(fts_query=_fts5_query(terms)))
    )


def sqlite_matching_rowids_between(terms: list[Term]) -> Select[Any]:
    """SQLite only: the rowids from :low to :high of the claims matching every term. FTS5 reads only that part
    of each term's list of rows, so a narrow range costs little however common the words are."""
    return sqlite_matching_rowids(terms).where(literal_column("rowid").between(bindparam("low"), bindparam("high")))


def restrict(statement: Select[Any], dialect: str, terms: list[Term]) -> tuple[Select[Any], ColumnElement[Any]]:
    """Keep only claims matching every term; also return each match's rank (lower ranks first)."""
    if dialect == "sqlite":
        matched = (
            select(literal_column("rowid").label("claim_rowid"), literal_column("bm25(claims_fts)").label("rank"))
            .select_from(table("claims_fts"))
            .where(text("claims_fts MATCH :fts_query").bindparams(fts_query=_fts5_query(terms)))
            .subquery("matched")
        )
        statement = statement.join(matched, matched.c.claim_rowid == literal_column("claims.rowid"))
        return statement, matched.c.rank
    document: ColumnElement[Any] = literal_column(POSTGRES_DOCUMENT)
    query = func.to_tsquery("simple", bindparam("ts_query", _tsquery(terms)))
    # ts_rank is a float4; as float8 its value survives the trip through a cursor exactly.
    return statement.where(document.op("@@")(query)), cast(-func.ts_rank(document, query), Double)
