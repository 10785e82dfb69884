"""Conditional GETs: a claim's version and a list's ledger head as validators, 304 while current, never stale."""

from __future__ import annotations

from typing import Any

import httpx

from api.database import Database
from api.services.places import gazetteer
from tests.conftest import Api
from tests.factories import add_evidence, make_claim, make_place, make_source, move


def _get(client: httpx.Client, url: str, tag: str | None = None, **params: str) -> httpx.Response:
    headers = {"If-None-Match": tag} if tag is not None else {}
    return client.get(url, params=params, headers=headers)


def _assert_not_modified(response: httpx.Response, tag: str) -> None:
    assert response.status_code == 304, response.text
    assert response.content == b""
    assert response.headers["ETag"] == tag
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_claim_is_304_to_its_current_version_and_200_once_it_moves(api: Api) -> None:
    analyst = api.as_("analyst")
    claim = make_claim(analyst, make_source(analyst)["id"])
    url = f"/v1/claims/{claim['id']}"
    first = analyst.get(url)
    assert first.headers["ETag"] == '"1"'
    _assert_not_modified(_get(analyst, url, '"1"'), '"1"')
    _assert_not_modified(_get(api.as_("viewer"), url, 'W/"1", "7"'), '"1"')
    assert _get(analyst, url, '"2"').status_code == 200
    assert move(analyst, claim, "under_review").status_code == 200
    after = _get(analyst, url, '"1"')
    assert after.status_code == 200
    assert (after.headers["ETag"], after.json()["status"]) == ('"2"', "under_review")
    _assert_not_modified(_get(analyst, url, '"2"'), '"2"')


def test_a_claim_is_not_304_after_its_source_is_renamed(api: Api) -> None:
    """The claim's version stays, but its answer names the source: a 304 would serve the old name."""
    analyst = api.as_("analyst")
    source = make_source(analyst, name="Kharkiv RMA")
    claim = make_claim(analyst, source["id"])
    url = f"/v1/claims/{claim['id']}"
    _assert_not_modified(_get(analyst, url, '"1"'), '"1"')
    renamed = analyst.patch(f"/v1/sources/{source['id']}", json={"name": "Kharkiv Regional Military Administration"})
    assert renamed.status_code == 200, renamed.text
    fresh = _get(analyst, url, '"1"')
    assert fresh.status_code == 200
    assert fresh.json()["source"]["name"] == "Kharkiv Regional Military Administration"


def test_a_claim_is_not_304_after_another_claim_links_to_it(api: Api) -> None:
    analyst = api.as_("analyst")
    source_id = make_source(analyst)["id"]
    target, other = make_claim(analyst, source_id), make_claim(analyst, source_id, statement="Another report.")
    url = f"/v1/claims/{target['id']}"
    _assert_not_modified(_get(analyst, url, '"1"'), '"1"')
    linked = analyst.post(f"/v1/claims/{other['id']}/links", json={"to_claim": target["id"], "kind": "corroborates"})
    assert linked.status_code == 201, linked.text
    fresh = _get(analyst, url, '"1"')
    assert fresh.status_code == 200
    assert [link["direction"] for link in fresh.json()["links"]] == ["incoming"]


def test_a_claim_as_of_a_time_is_never_304(api: Api) -> None:
    analyst = api.as_("analyst")
    claim = make_claim(analyst, make_source(analyst)["id"])
    url = f"/v1/claims/{claim['id']}"
    assert _get(analyst, url, '"1"', as_of="2999-01-01").status_code == 200


def test_an_unknown_claim_with_a_tag_is_404(api: Api) -> None:
    response = _get(api.as_("viewer"), "/v1/claims/00000000-0000-4000-8000-000000000000", '"1"')
    assert response.status_code == 404


def test_lists_are_304_while_the_ledger_head_and_query_stay(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    make_claim(analyst, source["id"])
    for url in ("/v1/claims", f"/v1/sources/{source['id']}/claims"):
        first = analyst.get(url, params={"limit": "10"})
        tag = first.headers["ETag"]
        assert tag.startswith('W/"')
        _assert_not_modified(_get(api.as_("viewer"), url, tag, limit="10"), tag)
        other_query = _get(analyst, url, tag, limit="11")
        assert other_query.status_code == 200
        assert other_query.headers["ETag"] != tag
    tag = analyst.get("/v1/claims").headers["ETag"]
    make_claim(analyst, source["id"], statement="A second claim.")
    after = _get(analyst, "/v1/claims", tag)
    assert after.status_code == 200
    assert len(after.json()["items"]) == 2
    assert after.headers["ETag"] != tag


def test_the_order_of_query_parameters_does_not_change_a_lists_tag(api: Api) -> None:
    viewer = api.as_("viewer")
    one = viewer.get("/v1/claims?status=claimed&limit=5").headers["ETag"]
    assert viewer.get("/v1/claims?limit=5&status=claimed").headers["ETag"] == one


def test_a_tag_this_server_did_not_issue_earns_no_304(api: Api) -> None:
    viewer = api.as_("viewer")
    assert _get(viewer, "/v1/claims", 'W/"0"').status_code == 200
    assert _get(viewer, "/v1/claims", '"1"').status_code == 200


def test_authenticated_answers_are_private_and_revalidated_and_anonymous_ones_not_marked(api: Api) -> None:
    viewer = api.as_("viewer")
    assert viewer.get("/v1/claims").headers["Cache-Control"] == "private, no-cache"
    refused = viewer.post("/v1/sources", json={"name": "X", "kind": "other"})
    assert refused.status_code == 403
    assert refused.headers["Cache-Control"] == "private, no-cache"
    assert "Cache-Control" not in api.anonymous().get("/health").headers


# ---- every other list under /v1: the same tag, the same 304 ------------------------------------------------


def _lists(api: Api) -> tuple[list[tuple[str, dict[str, str], dict[str, str]]], dict[str, Any]]:
    """Every list route but the claims lists (above): its URL, a query, and another query of the same list."""
    analyst = api.as_("analyst")
    source = make_source(analyst, name="Kharkiv RMA")
    claim = make_claim(analyst, source["id"], statement="Shelling reported near Kupiansk.", places=["Kupiansk"])
    other = make_claim(analyst, source["id"], statement="Another report.")
    add_evidence(analyst, claim, make_source(analyst, name="Monitor", kind="ngo")["id"])
    make_place(analyst, "Kupiansk")
    lists = [
        ("/v1/sources", {"limit": "10"}, {"limit": "11"}),
        (f"/v1/sources/{source['id']}/scorecard", {}, {"include_children": "true"}),
        ("/v1/audit", {"limit": "500"}, {"limit": "500", "type": "claim.created"}),
        (f"/v1/claims/{claim['id']}/history", {"limit": "10"}, {"limit": "11"}),
        (f"/v1/claims/{claim['id']}/evidence", {}, {"unknown": "is part of the tag too"}),
        ("/v1/places", {"q": "Kup"}, {"q": "Kupi"}),
        (f"/v1/claims/{claim['id']}/related", {}, {"unknown": "x"}),
        ("/v1/compare", {"place": "Kupiansk"}, {"place": "Kupiansk", "stated_from": "2022-01-01"}),
    ]
    return lists, {"source": source, "claim": claim, "other": other}


def test_every_list_is_304_while_the_ledger_head_and_query_stay(api: Api) -> None:
    lists, _made = _lists(api)
    analyst, viewer = api.as_("analyst"), api.as_("viewer")
    for url, query, other_query in lists:
        first = analyst.get(url, params=query)
        assert first.status_code == 200, (url, first.text)
        tag = first.headers["ETag"]
        assert tag.startswith('W/"'), url
        assert first.headers["Cache-Control"] == "private, no-cache"
        _assert_not_modified(_get(viewer, url, tag, **query), tag)
        _assert_not_modified(_get(analyst, url, f'"other", {tag}', **query), tag)
        changed_query = _get(analyst, url, tag, **other_query)
        assert changed_query.status_code == 200, url
        assert changed_query.headers["ETag"] != tag, url
    # The claim's path is part of its lists' tags: another claim's evidence is another list.
    evidence_url = lists[4][0]
    tag = analyst.get(evidence_url).headers["ETag"]
    other_claim = _made["other"]["id"]
    assert _get(analyst, f"/v1/claims/{other_claim}/evidence", tag).status_code == 200


def test_every_list_has_a_new_tag_after_a_write_that_changes_it(api: Api) -> None:
    lists, made = _lists(api)
    analyst = api.as_("analyst")
    tags = {url: analyst.get(url, params=query).headers["ETag"] for url, query, _other in lists}
    bodies = {url: analyst.get(url, params=query).json() for url, query, _other in lists}
    # One write changes each of them: a claim of the source about Kupiansk, moved, with a new evidence item and a
    # new source and place named so that the sources and places lists show them.
    analyst_source = make_source(analyst, name="Another source")
    claim = made["claim"]
    assert move(analyst, claim, "under_review").status_code == 200
    add_evidence(analyst, claim, analyst_source["id"])
    make_claim(analyst, made["source"]["id"], statement="Shelling reported near Kupiansk again.", places=["Kupiansk"])
    make_place(analyst, "Kupianskyi district")
    for url, query, _other in lists:
        written = analyst.get(url, params=query, headers={"If-None-Match": tags[url]})
        assert written.status_code == 200, url
        assert written.headers["ETag"] != tags[url], url
        assert written.json() != bodies[url], url


def test_a_read_after_a_newer_commit_never_earns_a_stale_304(api: Api) -> None:
    """On one database every read sees every commit; with replicas, tests/test_replicas.py checks the same."""
    lists, made = _lists(api)
    analyst = api.as_("analyst")
    url = f"/v1/claims/{made['claim']['id']}/history"
    tag = analyst.get(url).headers["ETag"]
    moved = move(analyst, made["claim"], "under_review")
    after = {"X-Claimdb-Read-After": moved.headers.get("X-Claimdb-Commit-LSN", "0/0"), "If-None-Match": tag}
    fresh = analyst.get(url, headers=after)
    assert fresh.status_code == 200
    assert [event["type"] for event in fresh.json()["items"]][-1] == "claim.status_changed"
    assert lists


def test_places_are_not_304_after_a_gazetteer_load_though_it_appends_no_event(api: Api, database: Database) -> None:
    viewer = api.as_("viewer")
    tag = viewer.get("/v1/places", params={"q": "Izy"}).headers["ETag"]
    _assert_not_modified(_get(viewer, "/v1/places", tag, q="Izy"), tag)
    audit_tag = viewer.get("/v1/audit").headers["ETag"]
    records = [record for record in gazetteer.ukraine_settlements() if record["name"] == "Izyum"]
    with database.transaction() as session:
        gazetteer.load(session, records, countries={"UA"})
    loaded = _get(viewer, "/v1/places", tag, q="Izy")
    assert loaded.status_code == 200
    assert [item["name"] for item in loaded.json()["items"]] == ["Izyum"]
    _assert_not_modified(_get(viewer, "/v1/audit", audit_tag), audit_tag)  # the ledger did not move
