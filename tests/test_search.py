"""Full text (`q`): words, phrases, prefixes, Cyrillic, hostile syntax, relevance paging; and the planner."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select, text

from api.database import Database
from api.services import search
from models import Claim
from tests.conftest import Api
from tests.factories import make_claim, make_source, ndjson, post_import


@pytest.fixture
def corpus(api: Api) -> dict[str, Any]:
    client = api.as_("analyst")
    azov = make_source(client, name="Azov Regiment", kind="armed_group")
    staff = make_source(client, name="General Staff")
    claims = {
        "critical": make_claim(
            client, azov["id"], statement="The situation at Azovstal is extremely critical.", quote="extremely critical"
        ),
        "cyrillic": make_claim(
            client,
            azov["id"],
            statement="The plant is under constant shelling.",
            quote="Ситуація на Азовсталі КРИТИЧНА",
        ),
        "retreat": make_claim(client, staff["id"], statement="Russian forces are retreating from Kharkiv."),
        "retreats": make_claim(client, staff["id"], statement="The enemy retreats in some directions near Izium."),
        "hostilities": make_claim(
            client, staff["id"], statement="No active hostilities in the Kharkiv area.", quote="active hostilities"
        ),
    }
    return {"azov": azov, "staff": staff, "claims": claims}


def _ids(api: Api, **params: Any) -> set[str]:
    response = api.as_("viewer").get("/v1/claims", params=params)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_words_match_statement_and_quote(api: Api, corpus: dict[str, Any]) -> None:
    claims = corpus["claims"]
    assert _ids(api, q="critical") == {claims["critical"]["id"]}
    assert _ids(api, q="kharkiv") == {claims["retreat"]["id"], claims["hostilities"]["id"]}
    assert _ids(api, q="kharkiv retreating") == {claims["retreat"]["id"]}


def test_cyrillic_is_found_case_insensitively(api: Api, corpus: dict[str, Any]) -> None:
    expected = {corpus["claims"]["cyrillic"]["id"]}
    assert _ids(api, q="критична") == expected
    assert _ids(api, q="АЗОВСТАЛІ") == expected


def test_phrase_and_prefix_queries(api: Api, corpus: dict[str, Any]) -> None:
    claims = corpus["claims"]
    assert _ids(api, q='"active hostilities"') == {claims["hostilities"]["id"]}
    assert _ids(api, q='"hostilities active"') == set()
    assert _ids(api, q="retreat*") == {claims["retreat"]["id"], claims["retreats"]["id"]}


@pytest.mark.parametrize(
    "hostile", ['"', "*", "AND", "-", "(", "OR NOT", "a:b", "'; DROP TABLE claims; --", "NEAR(", "^"]
)
def test_query_syntax_cannot_be_broken(api: Api, corpus: dict[str, Any], hostile: str) -> None:
    response = api.as_("viewer").get("/v1/claims", params={"q": hostile})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)


def test_search_combines_with_other_filters(api: Api, corpus: dict[str, Any]) -> None:
    assert _ids(api, q="kharkiv", source="Azov Regiment") == set()
    assert _ids(api, q="critical", source="Azov Regiment") == {corpus["claims"]["critical"]["id"]}


def test_amended_wording_is_searchable(api: Api, corpus: dict[str, Any]) -> None:
    claim = corpus["claims"]["retreat"]
    client = api.as_("analyst")
    response = client.patch(
        f"/v1/claims/{claim['id']}",
        json={"statement": "Russian forces are regrouping near Vovchansk."},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    assert _ids(api, q="vovchansk") == {claim["id"]}
    assert claim["id"] not in _ids(api, q="retreating")


def test_relevance_sort_pages_by_cursor(api: Api, corpus: dict[str, Any]) -> None:
    client = api.as_("analyst")
    for index in range(7):
        make_claim(
            client, corpus["staff"]["id"], statement=f"Shelling reported in sector {index}" + " shelling" * index
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"q": "shelling", "sort": "relevance", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.as_("viewer").get("/v1/claims", params=params)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8
    assert api.as_("viewer").get("/v1/claims", params={"sort": "relevance"}).status_code == 422


def test_by_source_query_uses_an_index(api: Api, database: Database, corpus: dict[str, Any]) -> None:
    source_id = corpus["staff"]["id"]
    sql = "SELECT id FROM claims WHERE source_id = :source ORDER BY stated_at DESC, id DESC LIMIT 51"
    with database.read_engine.connect() as connection:
        if database.is_sqlite:
            plan = " ".join(
                str(row[-1])
                for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql), {"source": source_id.replace("-", "")})
            )
            assert "USING INDEX ix_claims_source_id_stated_at_id" in plan or "USING COVERING INDEX" in plan, plan
            assert "SCAN claims" not in plan, plan
        else:
            # The test table is tiny (and its statistics are those the earlier tests left), so forbid sequential
            # scans and sorts: a missing index then still shows as a Seq Scan or a Sort.
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.execute(text(f"SET {setting} = off"))
            plan = " ".join(row[0] for row in connection.execute(text("EXPLAIN " + sql), {"source": source_id}))
            assert "Seq Scan on claims" not in plan, plan
            assert "ix_claims_source_id_stated_at_id" in plan, plan


@pytest.mark.parametrize("query", ["thermobaric", "thermob*", '"extremely critical"'])
def test_full_text_reads_the_search_index_not_each_claims_text(api: Api, database: Database, query: str) -> None:
    """The matches come from the full-text index; on PostgreSQL a claim is tested against its stored document,
    never by re-parsing its statement and quote (which made a walk in date order cost 240 ms at 1M claims)."""
    statement, _rank = search.restrict(select(Claim.id), database.dialect, search.parse(query))
    compiled = statement.compile(dialect=database.read_engine.dialect)
    with database.read_engine.connect() as connection:
        if database.is_sqlite:
            parameters = tuple(compiled.params.values())
            explained = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), parameters)
            plan = " ".join(str(row[-1]) for row in explained)
            assert "claims_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            connection.execute(text("SET enable_seqscan = off"))  # the test table is tiny
            plan = " ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params))
            assert "ix_claims_search" in plan, plan
            assert "to_tsvector" not in plan, plan
            assert "search_vector @@" in plan, plan


def test_the_stored_document_follows_amendments(api: Api, database: Database, corpus: dict[str, Any]) -> None:
    claim = corpus["claims"]["retreat"]
    amended = api.as_("analyst").patch(
        f"/v1/claims/{claim['id']}", json={"quote": "Відступають"}, headers={"If-Match": '"1"'}
    )
    assert amended.status_code == 200, amended.text
    if not database.is_sqlite:
        with database.read_engine.connect() as connection:
            stored = connection.execute(
                text("SELECT search_vector::text FROM claims WHERE id = :id"), {"id": claim["id"]}
            ).scalar_one()
        assert "'відступають'" in stored and "'kharkiv'" in stored, stored
    assert _ids(api, q="ВІДСТУПАЮТЬ") == {claim["id"]}


def _every_page(client: Any, **params: Any) -> list[tuple[str, str]]:
    """Every claim the list returns, as (id, statement), following next_cursor to the end."""
    claims: list[tuple[str, str]] = []
    cursor = None
    while True:
        response = client.get("/v1/claims", params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        claims.extend((item["id"], item["statement"]) for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return claims


@pytest.mark.slow
def test_a_word_in_thousands_of_claims_pages_like_the_list_it_filters(api: Api) -> None:
    """Over 2,000 matches SQLite walks the sort order in chunks (api/services/claims.py); the pages must be the
    unfiltered list's pages with the non-matching claims left out, in every order, with a source filter too.
    Stated times run against the order of recording, so no chunk's rowids are in page order."""
    rng = random.Random(7)
    lines = []
    for number in range(2_600):
        word = "thermobaric" if number % 6 else "artillery"
        stated = f"2022-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}T{rng.randrange(24):02d}:00:00Z"
        lines.append(
            {
                "statement": f"Report {number}: {word} strikes near the front.",
                "source": {"name": "Shelling reports" if number % 3 else "Other desk", "kind": "media"},
                "channel": "update",
                "stated_at": stated,
            }
        )
    assert post_import(api.as_("admin"), ndjson(lines)).status_code == 200
    viewer = api.as_("viewer")
    for sort in ("-stated_at", "stated_at", "-recorded_at"):
        for source in ({}, {"source": "Shelling reports"}):
            listed = _every_page(viewer, sort=sort, **source)
            expected = [claim for claim in listed if "thermobaric" in claim[1]]
            assert len(expected) > 2_000 or source
            assert _every_page(viewer, sort=sort, q="thermobaric", **source) == expected
