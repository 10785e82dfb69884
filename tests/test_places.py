"""Places as records: the gazetteer, a claim's places resolved (or left with candidates), the area, region and
event filters, and the map exports — on both engines, through the HTTP API."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from api.database import Database
from api.services.places import gazetteer
from tests.conftest import Api
from tests.factories import amend, events_of, export, make_claim, make_document, make_place, make_source, move

# A handful of GeoNames settlements: two Zolochivs 700 km apart, Izium and its neighbours, Mariupol, Kyiv.
SETTLEMENTS = ("Zolochiv", "Izyum", "Kharkiv", "Chuhuyiv", "Balakliya", "Mariupol", "Kyiv", "Lviv", "Zaporizhzhya")


def load_small_gazetteer(database: Database) -> None:
    """Ukraine, Russia and Ukraine's regions, and the settlements above (the whole load is test_geocoding's)."""
    records = [record for record in gazetteer.ukraine_settlements() if record["name"] in SETTLEMENTS]
    with database.transaction() as session:
        gazetteer.load(session, records, countries={"UA", "RU"})


@pytest.fixture
def places_api(api: Api, database: Database) -> Api:
    load_small_gazetteer(database)
    return api


def _place(api: Api, q: str, kind: str | None = None) -> dict[str, Any]:
    params = {"q": q, **({"kind": kind} if kind else {})}
    items = api.as_("viewer").get("/v1/places", params=params).json()["items"]
    assert items, f"no place for {q!r}"
    return dict(items[0])


def _claim(api: Api, source_id: str, places: list[Any], **fields: Any) -> dict[str, Any]:
    return make_claim(api.as_("analyst"), source_id, places=places, **fields)


def _ids(api: Api, **params: Any) -> set[str]:
    response = api.as_("viewer").get("/v1/claims", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_the_gazetteer_load_is_idempotent_and_carries_aliases_regions_and_countries(
    places_api: Api, database: Database
) -> None:
    with database.transaction() as session:
        records = [r for r in gazetteer.ukraine_settlements() if r["name"] in SETTLEMENTS]
        again = gazetteer.load(session, records, countries={"UA", "RU"})
    assert again.added == 0 and again.already == 2 + 27 + 11  # two countries, the regions, the settlements
    izium = _place(places_api, "Ізюм")
    assert izium["name"] == "Izyum" and "Izium" in izium["aliases"] and izium["geonames_id"] == 707292
    assert (izium["admin1_code"], izium["admin1_name"], izium["country_code"]) == ("UA-63", "Kharkiv Oblast", "UA")
    region = places_api.as_("viewer").get(f"/v1/places/{_place(places_api, 'Харківська область')['id']}").json()
    assert region["kind"] == "region" and region["admin1_code"] == "UA-63"
    assert _place(places_api, "Ukraine", kind="country")["country_code"] == "UA"
    assert places_api.as_("viewer").get(f"/v1/places/{izium['parent_id']}").json()["name"] == "Kharkiv Oblast"


def test_type_ahead_finds_by_the_start_of_any_name_exact_names_first(places_api: Api) -> None:
    names = [item["name"] for item in places_api.as_("viewer").get("/v1/places", params={"q": "zolo"}).json()["items"]]
    assert names == ["Zolochiv", "Zolochiv"]
    assert _place(places_api, "kyiv")["name"] == "Kyiv"  # the city, before Kyiv Oblast and Kyiv City
    assert places_api.as_("viewer").get("/v1/places", params={"q": "nowhere-at-all"}).json()["items"] == []


def test_an_analyst_adds_a_facility_that_takes_its_citys_point_and_the_ledger_records_it(places_api: Api) -> None:
    mariupol = _place(places_api, "Mariupol")
    plant = make_place(
        places_api.as_("analyst"),
        "Azovstal steel plant",
        kind="facility",
        aliases=["Azovstal"],
        parent_id=mariupol["id"],
    )
    assert (plant["lat"], plant["lon"], plant["admin1_code"]) == (mariupol["lat"], mariupol["lon"], "UA-14")
    audit = places_api.as_("viewer").get("/v1/audit", params={"type": "place.created"}).json()["items"]
    assert [event["payload"]["place"]["name"] for event in audit] == ["Azovstal steel plant"]
    assert places_api.as_("viewer").post("/v1/places", json={"name": "X", "kind": "facility"}).status_code == 403
    bad = places_api.as_("analyst").post("/v1/places", json={"name": "Y", "kind": "facility", "lat": 50})
    assert bad.status_code == 422
    unknown = places_api.as_("analyst").get("/v1/places/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404


def test_a_claims_place_is_resolved_with_a_precision_or_left_with_candidates(places_api: Api) -> None:
    source = make_source(places_api.as_("analyst"), name="General Staff")
    izium, balakliya = _claim(places_api, source["id"], ["Izium", "near Balakliya"])["places"]
    assert izium["place_id"] == _place(places_api, "Izyum")["id"] and izium["precision"] == "locality"
    assert balakliya["name"] == "near Balakliya" and balakliya["precision"] == "near"
    # Two Zolochivs, 700 km apart, and nothing tells which (a source with no claims yet, no other place, no
    # document): never guessed.
    source = make_source(places_api.as_("analyst"), name="Unknown channel")
    zolochiv, atlantis = _claim(places_api, source["id"], ["Zolochiv", "Atlantis"])["places"]
    assert zolochiv["place_id"] is None and zolochiv["precision"] is None
    assert sorted(item["label"] for item in zolochiv["candidates"]) == [
        "Zolochiv, Kharkiv Oblast, UA",
        "Zolochiv, Lviv Oblast, UA",
    ]
    assert atlantis == {"name": "Atlantis", "place_id": None, "precision": None, "candidates": []}


def test_context_decides_an_ambiguous_name(places_api: Api) -> None:
    analyst = places_api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    kharkiv_side = _place(places_api, "Kharkiv Oblast")["admin1_code"]
    # The claim's other places: Zolochiv beside Kharkiv is the one in Kharkiv Oblast.
    beside = _claim(places_api, staff["id"], ["Kharkiv", "Zolochiv"])["places"][1]
    # The claim's words naming a region.
    worded = _claim(places_api, staff["id"], ["Zolochiv"], statement="Shelling hit Zolochiv in the Lviv region.")
    # The document's other claims.
    document = make_document(analyst, outlet_id=make_source(analyst, name="UPI", kind="media")["id"])
    _claim(places_api, staff["id"], ["Chuhuyiv"], document_id=document["id"])
    in_document = _claim(places_api, staff["id"], ["Zolochiv"], document_id=document["id"])["places"][0]
    # The source's usual area: a regional administration whose claims are all in Kharkiv Oblast.
    regional = make_source(analyst, name="Kharkiv RMA", kind="official")
    for name in ("Kharkiv", "Chuhuyiv", "Izium"):
        _claim(places_api, regional["id"], [name])
    usual = _claim(places_api, regional["id"], ["Zolochiv"])["places"][0]
    zolochivs = places_api.as_("viewer").get("/v1/places", params={"q": "Zolochiv"}).json()["items"]
    by_region = {item["admin1_code"]: item["id"] for item in zolochivs}
    assert set(by_region) == {kharkiv_side, "UA-46"}
    for decided in (beside, in_document, usual):
        assert decided["place_id"] == by_region[kharkiv_side], decided
    assert worded["places"][0]["place_id"] == by_region["UA-46"]


def test_choosing_a_candidate_is_an_amendment_that_does_not_reopen_a_verdict(places_api: Api) -> None:
    analyst, reviewer = places_api.as_("analyst"), places_api.as_("reviewer")
    staff = make_source(analyst, name="General Staff")
    isw = make_source(analyst, name="ISW", kind="think_tank")
    claim = _claim(places_api, staff["id"], ["Zolochiv"])
    assert claim["places"][0]["place_id"] is None
    analyst.post(f"/v1/claims/{claim['id']}/evidence", json={"stance": "supports", "kind": "imagery", "note": "x",
                                                            "provided_by_source_id": isw["id"]})  # fmt: skip
    assert move(analyst, claim, "under_review").status_code == 200
    assert move(reviewer, claim, "corroborated").status_code == 200
    chosen = claim["places"][0]["candidates"][0]["place_id"]
    response = amend(analyst, claim, places=[{"name": "Zolochiv", "place_id": chosen}])
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "corroborated" and after["places"][0]["place_id"] == chosen
    assert after["verdict"]["basis_holds"] is True
    assert [event["type"] for event in events_of(analyst, claim["id"])][-1] == "claim.amended"
    unknown = amend(analyst, claim, places=[{"name": "Zolochiv", "place_id": "00000000-0000-0000-0000-000000000000"}])
    assert unknown.status_code == 422
    assert places_api.as_("viewer").get("/v1/audit/verify").json()["ok"] is True


def test_area_region_and_event_filters(places_api: Api) -> None:
    staff = make_source(places_api.as_("analyst"), name="General Staff")
    izium = _claim(places_api, staff["id"], ["Izium"], event_start="2022-05-10T00:00:00Z",
                   event_end="2022-05-12T00:00:00Z", event_precision="day")  # fmt: skip
    kharkiv = _claim(places_api, staff["id"], ["Kharkiv"], event_start="2022-05-13T08:00:00Z")
    region = _claim(places_api, staff["id"], ["Kharkiv Oblast"])
    mariupol = _claim(places_api, staff["id"], ["Mariupol"])
    unresolved = _claim(places_api, make_source(places_api.as_("analyst"), name="Someone")["id"], ["Zolochiv"])
    assert unresolved["places"][0]["place_id"] is None
    assert izium["event_precision"] == "day"
    # Izium is 120 km from Kharkiv: 50 km around Izium holds it alone; 150 km holds both (and the region's point).
    assert _ids(places_api, near="49.207,37.277", radius_km=50) == {izium["id"]}
    assert {izium["id"], kharkiv["id"]} <= _ids(places_api, near="49.207,37.277", radius_km=150)
    assert _ids(places_api, bbox="37.0,46.9,38.0,47.3") == {mariupol["id"]}
    in_region = {izium["id"], kharkiv["id"], region["id"]}
    for name in ("Kharkiv Oblast", "UA-63", "Харківська область", "kharkiv region"):
        assert _ids(places_api, region=name) == in_region, name
    assert unresolved["id"] not in _ids(places_api, region="Kharkiv Oblast")
    assert _ids(places_api, event_from="2022-05-11", event_to="2022-05-11") == {izium["id"]}
    assert _ids(places_api, event_from="2022-05-13") == {kharkiv["id"]}
    assert _ids(places_api, event_to="2022-05-09") == set()
    assert _ids(places_api, region="Kharkiv Oblast", near="47.1,37.5", radius_km=30) == set()
    for params in ({"near": "91,0"}, {"near": "abc"}, {"radius_km": "5"}, {"bbox": "1,2,3"}, {"bbox": "0,10,1,5"},
                   {"region": "Atlantis"}, {"event_from": "yesterday"}, {"radius_km": "0", "near": "1,1"}):  # fmt: skip
        response = places_api.as_("viewer").get("/v1/claims", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


def test_geojson_and_acled_exports_skip_and_count_places_without_coordinates(places_api: Api) -> None:
    staff = make_source(places_api.as_("analyst"), name="General Staff")
    _claim(places_api, staff["id"], ["Izium", "Atlantis"], event_start="2022-05-10T00:00:00Z", event_precision="week")
    _claim(places_api, staff["id"], ["Kharkiv Oblast", "Atlantis"])
    response = export(places_api.as_("viewer"), format="geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["x-claimdb-skipped-places"] == "2"
    collection = orjson.loads(response.content)
    assert collection["type"] == "FeatureCollection" and collection["skipped_places"] == 2
    by_place = {feature["properties"]["place"]: feature for feature in collection["features"]}
    assert set(by_place) == {"Izium", "Kharkiv Oblast"}
    izium = by_place["Izium"]
    assert izium["geometry"] == {"type": "Point", "coordinates": [37.27679, 49.20697]}  # RFC 7946: lon, lat
    assert izium["properties"]["status"] == "claimed" and izium["properties"]["source"] == "General Staff"
    assert by_place["Kharkiv Oblast"]["properties"]["precision"] == "region"
    acled = export(places_api.as_("viewer"), format="acled_csv", region="UA-63")
    assert acled.headers["x-claimdb-skipped-places"] == "2"
    rows = list(csv.DictReader(io.StringIO(acled.text)))
    by_location = {row["location"]: row for row in rows}
    assert by_location["Izium"]["geo_precision"] == "1" and by_location["Izium"]["time_precision"] == "2"
    assert by_location["Izium"]["event_date"] == "2022-05-10" and by_location["Izium"]["admin1"] == "Kharkiv Oblast"
    assert by_location["Kharkiv Oblast"]["geo_precision"] == "3"


def test_recorded_claims_are_geocoded_by_the_gazetteer_load_and_still_verify(api: Api, database: Database) -> None:
    from api.services.claims.writing import geocode_recorded

    staff = make_source(api.as_("analyst"), name="General Staff")
    before = make_claim(api.as_("analyst"), staff["id"], places=["Izium", "Zolochiv", "Kharkiv"])
    assert [place["place_id"] for place in before["places"]] == [None, None, None]
    load_small_gazetteer(database)
    with database.transaction() as session:
        assert geocode_recorded(session) == 1
    with database.transaction() as session:
        assert geocode_recorded(session) == 0
    after = api.as_("viewer").get(f"/v1/claims/{before['id']}").json()
    assert all(place["place_id"] for place in after["places"]), after["places"]
    assert after["version"] == before["version"] + 1
    report = api.as_("viewer").get("/v1/audit/verify").json()
    assert report["ok"] is True, report
    # The as-of rebuild from the ledger alone shows the names unresolved before, resolved after.
    old = api.as_("viewer").get(f"/v1/claims/{before['id']}", params={"as_of": before["created_at"]}).json()
    assert [place["place_id"] for place in old["places"]] == [None, None, None]


def test_verify_finds_a_claim_place_moved_behind_the_ledgers_back(places_api: Api, database: Database) -> None:
    staff = make_source(places_api.as_("analyst"), name="General Staff")
    _claim(places_api, staff["id"], ["Izium"])
    with database.write_engine.begin() as connection:
        connection.execute(text("UPDATE claim_places SET lat = lat + 1"))
    report = places_api.as_("viewer").get("/v1/audit/verify").json()
    assert report["ok"] is False
    assert [item["table"] for item in report["mismatches"]] == ["claim_places"]


def test_the_desk_map_labels_each_place_once_and_no_two_labels_overlap(places_api: Api) -> None:
    import re

    from api.web.map.drawing import LABEL_CHAR_WIDTH, LABEL_SIZE
    from tests.test_web import desk

    analyst = places_api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    kharkiv = [_claim(places_api, staff["id"], ["Kharkiv"]) for _ in range(3)]
    assert move(analyst, kharkiv[0], "under_review").status_code == 200
    # The same city written in Cyrillic: a label of its own, at the same point, so it must find another spot.
    for town in ("Харків", "Chuhuyiv", "Izyum", "Balakliya"):
        _claim(places_api, staff["id"], [town])
    html = desk(places_api, "viewer").get("/map").text
    labels = re.findall(
        r'<text x="([\d.-]+)" y="([\d.-]+)" text-anchor="(start|end)" font-size="12"[^>]*>([^<]+)</text>', html
    )
    words = [label for _x, _y, _anchor, label in labels]
    # Three claims at one point: one label saying what each is, not three labels drawn over each other.
    kharkiv_labels = [label for label in words if label.startswith("Kharkiv")]
    assert kharkiv_labels == ["Kharkiv · 3 claims (2 claimed, 1 under review)"]
    assert "Харків · claimed" in words and len(labels) == 5, words
    boxes = []
    for x, y, anchor, label in labels:
        width = LABEL_CHAR_WIDTH * len(label)
        left = float(x) if anchor == "start" else float(x) - width
        boxes.append((left, float(y) - LABEL_SIZE + 1, left + width, float(y) + 3))
    for index, one in enumerate(boxes):
        for other in boxes[index + 1 :]:
            apart = one[2] <= other[0] or other[2] <= one[0] or one[3] <= other[1] or other[3] <= one[1]
            assert apart, (one, other, words)


def test_the_desk_map_draws_claims_by_status_with_halos_and_a_timeline_by_party(places_api: Api) -> None:
    from tests.test_web import CSRF, desk

    analyst, reviewer = places_api.as_("analyst"), places_api.as_("reviewer")
    staff = make_source(analyst, name="General Staff")
    moscow = make_source(analyst, name="Russian MoD", kind="government")
    izium = _claim(places_api, staff["id"], ["Izium"], stated_at="2022-05-13T09:00:00Z")
    _claim(places_api, moscow["id"], ["Kharkiv Oblast"], stated_at="2022-05-14T09:00:00Z")
    _claim(places_api, moscow["id"], ["Mariupol"], stated_at="2022-05-14T10:00:00Z")
    assert move(analyst, izium, "under_review").status_code == 200
    assert move(reviewer, izium, "disputed").status_code == 200
    page = desk(places_api, "viewer").get("/map")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count('<a href="/claims/') == 3  # a marker per place, linking to its claim
    assert "Izium · disputed" in html and "Kharkiv Oblast · claimed (region)" in html
    assert 'stroke-dasharray="6 4"' in html  # the region drawn as a wide dashed halo, not a spot
    assert "General Staff: 1" in html and "Russian MoD: 2" in html  # the timeline's table, per day by party
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    only = desk(places_api, "viewer").get("/map", params={"region": "Donetsk Oblast"}).text
    assert only.count('<a href="/claims/') == 1 and "Mariupol · claimed" in only
    refused = desk(places_api, "viewer").get("/map", params={"near": "500,1"})
    assert refused.status_code == 422 and "near" in refused.text
    assert CSRF  # the desk helpers come from test_web


def test_the_desk_lets_the_analyst_choose_among_candidates(places_api: Api) -> None:
    from tests.test_web import CSRF, desk

    source = make_source(places_api.as_("analyst"), name="Unknown channel")
    claim = _claim(places_api, source["id"], ["Zolochiv"])
    client = desk(places_api, "analyst")
    page = client.get(f"/claims/{claim['id']}")
    assert "unresolved: could be" in page.text and "Zolochiv, Lviv Oblast, UA" in page.text
    token = CSRF.search(page.text)
    assert token is not None
    lviv = next(item["place_id"] for item in claim["places"][0]["candidates"] if "Lviv" in item["label"])
    response = client.post(
        f"/claims/{claim['id']}/places/0", data={"csrf_token": token.group(1), "version": "1", "place_id": lviv}
    )
    assert response.status_code == 303, response.text
    after = places_api.as_("viewer").get(f"/v1/claims/{claim['id']}").json()
    assert after["places"][0]["place_id"] == lviv and after["places"][0]["precision"] == "locality"


def test_walking_a_crowded_area_pages_like_filtering_it(places_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.services.claims import listing

    analyst = places_api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    other = make_source(analyst, name="Russian MoD", kind="government")
    names = ["Izium", "Kharkiv", "Mariupol", "Chuhuyiv", "Kharkiv Oblast", "Lviv"]
    for index in range(36):
        source = staff if index % 3 else other
        day = 1 + index % 20
        make_claim(analyst, source["id"], places=[names[index % len(names)]], stated_at=f"2022-05-{day:02d}T09:00:00Z")
    filters: list[dict[str, Any]] = [
        {"near": "49.9,36.5", "radius_km": "150"},
        {"region": "Kharkiv Oblast"},
        {"bbox": "35.0,46.0,38.5,50.5", "source": "Russian MoD"},
        {"region": "UA-63", "near": "49.2,37.3", "radius_km": "20"},
    ]

    def pages(params: dict[str, Any]) -> list[list[str]]:
        found, cursor = [], None
        while True:
            body = places_api.as_("viewer").get("/v1/claims", params={**params, "limit": 4, "cursor": cursor}).json()
            found.append([item["id"] for item in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return found

    plain = [pages(params) for params in filters]
    monkeypatch.setattr(listing, "_WALK_AREA_ABOVE", 2)
    monkeypatch.setattr(listing, "_FIRST_CHUNK", 3)
    walked = [pages(params) for params in filters]
    assert walked == plain
    assert all(len(found) > 1 for found in plain)  # several pages each: the cursor is walked too


def test_event_windows_of_any_length_are_found_and_page_alike_by_window_or_page_order(
    places_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.services.claims import listing

    analyst = places_api.as_("analyst")
    staff = make_source(analyst, name="General Staff")
    names = ["Izium", "Kharkiv", "Mariupol", "Lviv"]
    short = []
    for index in range(24):
        start = f"2022-06-{1 + index % 6:02d}T{index % 24:02d}:00:00Z"
        end = f"2022-06-{1 + index % 6:02d}T23:00:00Z" if index % 2 else None
        short.append(make_claim(analyst, staff["id"], places=[names[index % 4]], event_start=start, event_end=end,
                                stated_at=f"2022-06-{8 + index % 10:02d}T09:00:00Z"))  # fmt: skip
    # A window of a year, written last: the index of windows' lengths knows it at once.
    year = make_claim(analyst, staff["id"], places=["Kharkiv"], event_start="2021-09-01T00:00:00Z",
                      event_end="2022-08-31T23:59:59Z", event_precision="month")  # fmt: skip
    assert year["id"] in _ids(places_api, event_from="2022-06-03", event_to="2022-06-03")
    assert year["id"] in _ids(places_api, event_from="2022-08-31")
    assert year["id"] not in _ids(places_api, event_from="2022-09-01")
    on_the_3rd = {claim["id"] for claim in short if claim["event_start"].startswith("2022-06-03")}
    assert _ids(places_api, event_from="2022-06-03", event_to="2022-06-03") == on_the_3rd | {year["id"]}
    filters: list[dict[str, Any]] = [
        {"event_from": "2022-06-02", "event_to": "2022-06-04"},
        {"event_from": "2022-06-02", "event_to": "2022-06-04", "sort": "-recorded_at"},
        {"region": "Kharkiv Oblast", "event_from": "2022-06-01", "event_to": "2022-06-30"},
        {"event_from": "2022-06-05"},
    ]

    def pages(params: dict[str, Any]) -> list[list[str]]:
        found, cursor = [], None
        while True:
            body = places_api.as_("viewer").get("/v1/claims", params={**params, "limit": 3, "cursor": cursor}).json()
            found.append([item["id"] for item in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return found

    window_first = [pages(params) for params in filters]  # few claims in each window: read by the window
    monkeypatch.setattr(listing, "_WALK_AREA_ABOVE", 2)
    monkeypatch.setattr(listing, "_FIRST_CHUNK", 2)
    # The window's claims in page order, each checked against the region.
    assert [pages(params) for params in filters] == window_first
    monkeypatch.setattr(listing, "_WINDOW_FIRST_UP_TO", 0)
    assert [pages(params) for params in filters] == window_first
    assert all(len(found) > 1 for found in window_first)


def test_extraction_proposes_places_with_their_ids_and_precision(places_api: Api) -> None:
    text = "KYIV, May 14 (UPI) -- Russian forces shelled Izium and Zolochiv, the General Staff said on Saturday."
    response = places_api.as_("analyst").post("/v1/extract", json={"text": text})
    assert response.status_code == 200, response.text
    (candidate,) = response.json()["candidates"]
    resolved = {place["name"]: place for place in candidate["resolved_places"]}
    assert resolved["Izium"]["place_id"] == _place(places_api, "Izyum")["id"]
    # Zolochiv beside Izium: the one in Kharkiv Oblast, as a claim posted with these places would have it.
    zolochiv = places_api.as_("viewer").get(f"/v1/places/{resolved['Zolochiv']['place_id']}").json()
    assert zolochiv["admin1_code"] == "UA-63" and resolved["Zolochiv"]["precision"] == "locality"
