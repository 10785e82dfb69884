"""Claims: record, amend, attach evidence and links, read (now or as of a past time), list, history.

A claim's words are fixed when recorded; every later change is a ledger event. The claim's current row is a
projection; `as_of` answers are rebuilt from the events alone. The package holds one concern a module:

- `records`: a claim as rows and as ledger payloads, the one builder every writer uses;
- `shape`: the one shape a claim is returned in (`ClaimDict`);
- `writing`: recording, amending (and reopening a judged claim), evidence, links, versions;
- `reading`: one claim or many, now (the hot read path) or as of a past time, with evidence, links, verdict;
- `listing`: the list filters, keyset pages, full text;
- `history`: a claim's events, and the as-of rebuild from them.
"""

from api.services.claims.history import history, statement_at
from api.services.claims.listing import ClaimQuery, list_claims, list_source_claims, query_of
from api.services.claims.reading import assertion_state, describe, get_claim, with_detail
from api.services.claims.shape import ClaimDetailDict, ClaimDict
from api.services.claims.writing import (
    add_evidence,
    add_link,
    amend_claim,
    bump_version,
    create_claim,
    is_repeated_post,
    require_version,
)

__all__ = [
    "ClaimDetailDict",
    "ClaimDict",
    "ClaimQuery",
    "add_evidence",
    "add_link",
    "amend_claim",
    "assertion_state",
    "bump_version",
    "create_claim",
    "describe",
    "get_claim",
    "history",
    "is_repeated_post",
    "list_claims",
    "list_source_claims",
    "query_of",
    "require_version",
    "statement_at",
    "with_detail",
]
