"""Conditional GETs: a claim's version and a list's ledger head as validators, 304 while current, never stale."""

from __future__ import annotations

import httpx

from tests.conftest import Api
from tests.factories import make_claim, make_source, move


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
