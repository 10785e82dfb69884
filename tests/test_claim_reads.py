"""The one read path of current claims (`reading.current_states_and_refs`, through the driver) against two others.

Every list (`GET /v1/claims`, a source's page) and every claim's answer read claims as they stand through the
same prebuilt statements (`driver_reads.prebuilt_rows`). Each list item must be the claim's own answer
(`GET /v1/claims/{id}`) less its evidence, links and verdict, and both must equal the claim as the ledger
rebuilds it (`as_of` a time after every event: `history.historic_states`, which reads events, not the claim
tables), for claims with every kind of field: resolved, ambiguous and unknown places, verdicts, intermediaries,
tags, a speaker, a document, amendments.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.factories import add_evidence, amend, make_claim, make_document, make_place, make_source, move

_DETAIL_ONLY = {"evidence", "links", "verdict"}
_AFTER_EVERYTHING = "2100-01-01"


def _varied_claims(api: Api) -> tuple[dict[str, Any], list[str]]:
    analyst, reviewer = api.as_("analyst"), api.as_("reviewer")
    party = make_source(analyst, name="General Staff", kind="military")
    speaker = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=party["id"])
    relay = make_source(analyst, name="Suspilne", kind="media")
    outside = make_source(analyst, name="ISW", kind="think_tank")
    outlet = make_source(analyst, name="UPI", kind="media")
    document = make_document(analyst, outlet_id=outlet["id"])
    make_place(analyst, "Kharkiv", lat=49.98, lon=36.25)
    make_place(analyst, "Ternova", lat=50.16, lon=36.79)
    make_place(analyst, "Ternova", lat=48.1, lon=24.9)
    full = make_claim(
        analyst,
        party["id"],
        quote="The enemy is withdrawing.",
        speaker_id=speaker["id"],
        channel="update",
        channel_detail="in its morning update",
        document_id=document["id"],
        via=[relay["id"], outside["id"]],
        stated_at_precision="hour",
        event_start="2022-05-13T00:00:00+00:00",
        event_end="2022-05-14T00:00:00+00:00",
        event_precision="day",
        # Resolved, ambiguous (two candidates), and a name the gazetteer does not hold.
        places=["Kharkiv", "Ternova", "Nowhere Particular"],
        tags=["withdrawal", "Kharkiv front"],
        language="en",
        external_id="wire-1",
    )
    bare = make_claim(analyst, party["id"], stated_at="2022-05-15T10:30:00.250000+00:00")
    judged = make_claim(analyst, party["id"], places=["Kharkiv"], via=[relay["id"]])
    assert move(analyst, judged, "under_review").status_code == 200
    add_evidence(analyst, judged, outside["id"], document_id=document["id"], note="imagery")
    assert move(reviewer, judged, "confirmed").status_code == 200
    amended = make_claim(analyst, party["id"], places=["Ternova"], tags=["shelling"])
    assert amend(analyst, amended, places=["Kharkiv", "Ternova"], tags=["shelling", "grain"]).status_code == 200
    by_speaker = make_claim(analyst, speaker["id"], tags=["withdrawal"], document_id=document["id"])
    refuted = make_claim(analyst, party["id"], speaker_id=speaker["id"])
    assert move(analyst, refuted, "under_review").status_code == 200
    add_evidence(analyst, refuted, outside["id"], stance="contradicts")
    assert move(reviewer, refuted, "refuted").status_code == 200
    return party, [claim["id"] for claim in (full, bare, judged, amended, by_speaker, refuted)]


def test_every_list_item_is_the_claims_own_answer_and_the_ledgers(api: Api) -> None:
    party, claim_ids = _varied_claims(api)
    viewer = api.as_("viewer")
    items_by_page: dict[str, list[dict[str, Any]]] = {}
    everything = {"source": party["id"], "include_children": "true"}
    # A sources' page is one prebuilt statement (`listing._page_by_sources`); with any other filter, the
    # list's own statement selects the states (`reading.with_current_states`); a claim's own answer reads
    # them by id (`reading.current_states_and_refs`).
    for name, path, params in (
        ("list", "/v1/claims", everything),
        ("source page", f"/v1/sources/{party['id']}/claims", {"include_children": "true"}),
        ("list, filtered", "/v1/claims", {**everything, "stated_from": "2000-01-01"}),
        ("list by stated_at", "/v1/claims", {**everything, "sort": "stated_at"}),
        ("list by -recorded_at", "/v1/claims", {**everything, "sort": "-recorded_at"}),
    ):
        response = viewer.get(path, params=params)
        assert response.status_code == 200, response.text
        items_by_page[name] = response.json()["items"]
    # Paged one claim at a time: the keyset cursor's pages hold the same claims, read the same way.
    for sort in ("-stated_at", "stated_at", "-recorded_at"):
        one_at_a_time: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {**everything, "sort": sort, "limit": "1"}
            page = viewer.get("/v1/claims", params={**params, **({"cursor": cursor} if cursor else {})}).json()
            one_at_a_time += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        items_by_page[f"list by {sort}, one at a time"] = one_at_a_time
    for name, items in items_by_page.items():
        assert sorted(item["id"] for item in items) == sorted(claim_ids), name
        for item in items:
            detail = viewer.get(f"/v1/claims/{item['id']}")
            assert detail.status_code == 200, detail.text
            own = detail.json()
            assert set(own) - _DETAIL_ONLY == set(item), name
            assert {key: own[key] for key in item} == item, (name, item["id"])
            rebuilt = viewer.get(f"/v1/claims/{item['id']}", params={"as_of": _AFTER_EVERYTHING}).json()
            assert {key: rebuilt[key] for key in item} == item, (name, item["id"])
    # The page as the ledger rebuilds it, in the same order.
    rebuilt_page = viewer.get(
        "/v1/claims", params={"source": party["id"], "include_children": "true", "as_of": _AFTER_EVERYTHING}
    ).json()["items"]
    assert rebuilt_page == items_by_page["list"]
    assert items_by_page["source page"] == items_by_page["list"]
    assert items_by_page["list, filtered"] == items_by_page["list"]
    assert items_by_page["list by -stated_at, one at a time"] == items_by_page["list"]
    for sort in ("stated_at", "-recorded_at"):
        assert items_by_page[f"list by {sort}, one at a time"] == items_by_page[f"list by {sort}"]
    assert [item["id"] for item in items_by_page["list by -recorded_at"]] == claim_ids[::-1]  # newest made first


def test_the_varied_claims_exercise_every_kind_of_field(api: Api) -> None:
    """What the comparison above rests on: the claims do hold places of every kind, verdicts, via and tags."""
    party, _claim_ids = _varied_claims(api)
    items = (
        api.as_("viewer").get(f"/v1/sources/{party['id']}/claims", params={"include_children": "true"}).json()["items"]
    )
    places = [place for item in items for place in item["places"]]
    assert any(place["place_id"] and place["precision"] for place in places)
    assert any(len(place["candidates"]) == 2 and place["place_id"] is None for place in places)
    assert any(place["place_id"] is None and not place["candidates"] for place in places)
    assert {item["status"] for item in items} >= {"claimed", "confirmed", "refuted"}
    assert any(len(item["via"]) == 2 for item in items) and any(item["tags"] for item in items)
    assert any(item["speaker"] and item["document"] for item in items)
    assert any(item["version"] > 1 and item["status"] == "claimed" for item in items)
