"""Claims: posting with full attribution, validation, reading, and listing with filters, sorts and keyset paging."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Api
from tests.factories import make_claim, make_document, make_source, move

PROBLEM = "application/problem+json"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000001"
CLAIM_FIELDS = {
    "id",
    "statement",
    "quote",
    "source",
    "speaker",
    "channel",
    "channel_detail",
    "document",
    "via",
    "stated_at",
    "stated_at_precision",
    "event_start",
    "event_end",
    "event_precision",
    "places",
    "tags",
    "language",
    "external_id",
    "status",
    "status_changed_at",
    "credibility",
    "version",
    "created_by",
    "created_at",
}


def assert_problem(response: httpx.Response, status: int, parameter: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`; when `parameter` is given, the problem names it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if parameter is not None:
        # Named by an error's location (a field or query parameter), or, for a rule across fields, by its message.
        named = [".".join(str(part) for part in error["loc"]) + " " + error["msg"] for error in body.get("errors", [])]
        assert any(parameter in text for text in named) or parameter in body["detail"], body
    return body


def base_claim(source_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "statement": "Russian forces no longer conduct active hostilities in the Kharkiv area.",
        "source_id": source_id,
        "channel": "update",
        "stated_at": "2022-05-14T09:00:00+00:00",
        **fields,
    }


def list_ids(client: httpx.Client, **params: Any) -> list[str]:
    response = client.get("/v1/claims", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["id"] for item in response.json()["items"]]


# ---- posting ---------------------------------------------------------------------------------------


def test_post_claim_returns_201_with_full_attribution_etag_and_location(api: Api) -> None:
    client = api.as_("analyst")
    staff = make_source(client, name="General Staff of the Armed Forces of Ukraine", kind="military")
    spokesman = make_source(
        client, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"], role="spokesman"
    )
    isw = make_source(client, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    upi = make_source(client, name="UPI", kind="media")
    report = make_document(
        client, title="Russian forces withdraw from Kharkiv", url="https://upi.com/kharkiv", outlet_id=upi["id"]
    )
    body = base_claim(
        staff["id"],
        quote="no longer conduct active hostilities in the Kharkiv area",
        speaker_id=spokesman["id"],
        channel_detail="daily operational update",
        document_id=report["id"],
        via=[isw["id"]],
        stated_at="2022-05-14T12:30:00+03:00",
        stated_at_precision="minute",
        event_start="2022-05-13T00:00:00+00:00",
        event_end="2022-05-14T00:00:00+00:00",
        places=["Kharkiv", "Izium"],
        tags=["withdrawal"],
        language="uk",
        external_id="upi-2022-05-14-1",
    )
    response = client.post("/v1/claims", json=body)
    assert response.status_code == 201, response.text
    claim = response.json()
    assert set(claim) == CLAIM_FIELDS | {"evidence", "links", "verdict", "similar"}
    assert claim["verdict"] is None
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/v1/claims/{claim['id']}"
    uuid.UUID(claim["id"])
    assert claim["statement"] == body["statement"]
    assert claim["quote"] == body["quote"]
    assert claim["source"] == {"id": staff["id"], "name": "General Staff of the Armed Forces of Ukraine"}
    assert claim["speaker"] == {"id": spokesman["id"], "name": "Oleksandr Shtupun"}
    assert claim["document"] == {
        "id": report["id"],
        "title": "Russian forces withdraw from Kharkiv",
        "url": "https://upi.com/kharkiv",
    }
    assert claim["via"] == [{"id": isw["id"], "name": "Institute for the Study of War"}]
    assert claim["channel"] == "update"
    assert claim["channel_detail"] == "daily operational update"
    # 12:30 at +03:00 is 09:30 UTC: the API answers in UTC.
    assert claim["stated_at"] in ("2022-05-14T09:30:00Z", "2022-05-14T09:30:00+00:00")
    assert claim["stated_at_precision"] == "minute"
    assert claim["event_start"].startswith("2022-05-13T00:00:00")
    assert claim["event_end"].startswith("2022-05-14T00:00:00")
    assert [place["name"] for place in claim["places"]] == ["Kharkiv", "Izium"]
    assert claim["tags"] == ["withdrawal"]
    assert claim["language"] == "uk"
    assert claim["external_id"] == "upi-2022-05-14-1"
    assert claim["status"] == "claimed"
    assert claim["credibility"] == 6
    assert claim["version"] == 1
    assert claim["created_by"]["name"] == "analyst"
    uuid.UUID(claim["created_by"]["id"])
    assert claim["status_changed_at"] == claim["created_at"]
    assert claim["evidence"] == []
    assert claim["links"] == []


def test_posted_claim_reads_back_identically_with_its_etag(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="Azov Regiment", kind="armed_group")
    posted = client.post("/v1/claims", json=base_claim(source["id"], channel="telegram", places=["Mariupol"]))
    assert posted.status_code == 201
    fetched = api.as_("viewer").get(f"/v1/claims/{posted.json()['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    # The post's answer is the claim and what it may repeat (`similar`, tests/test_matching.py).
    answer = posted.json()
    assert answer.pop("similar") == []
    assert fetched.json() == answer


def test_minimal_claim_gets_defaults_and_null_optional_references(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"])
    assert claim["speaker"] is None
    assert claim["document"] is None
    assert claim["via"] == []
    assert claim["places"] == []
    assert claim["tags"] == []
    assert claim["quote"] is None
    assert claim["external_id"] is None
    assert claim["stated_at_precision"] == "day"


@pytest.mark.parametrize("field", ["source_id", "speaker_id", "document_id", "via"])
def test_reference_to_nothing_is_422_naming_the_field(api: Api, field: str) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    body = base_claim(source["id"])
    body[field] = [UNKNOWN_ID] if field == "via" else UNKNOWN_ID
    response = client.post("/v1/claims", json=body)
    assert_problem(response, 422, field)
    assert list_ids(client) == []


def test_second_unknown_via_entry_is_422_naming_its_position(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    relay = make_source(client, kind="media")
    response = client.post("/v1/claims", json=base_claim(source["id"], via=[relay["id"], UNKNOWN_ID]))
    assert_problem(response, 422, "via.1")


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"statement": None}, "statement"),
        ({"source_id": None}, "source_id"),
        ({"channel": None}, "channel"),
        ({"stated_at": None}, "stated_at"),
        ({"channel": "tweet"}, "channel"),
        ({"stated_at": "2022-05-14T09:00:00"}, "stated_at"),
        ({"stated_at": "yesterday"}, "stated_at"),
        ({"statement": "   "}, "statement"),
        ({"statement": ""}, "statement"),
        ({"statement": "Kharkiv\x00is quiet"}, "statement"),
        ({"statement": "Kharkiv\x07is quiet"}, "statement"),
        ({"statement": "Kharkiv\x1bis quiet"}, "statement"),
        ({"statement": "x" * 5001}, "statement"),
        ({"source_id": "not-a-uuid"}, "source_id"),
        ({"stated_at_precision": "second"}, "stated_at_precision"),
        ({"places": ["Kharkiv", "kharkiv"]}, "places"),
        ({"unknown_field": 1}, "unknown_field"),
        (
            {"event_start": "2022-05-14T00:00:00+00:00", "event_end": "2022-05-13T00:00:00+00:00"},
            "event_end",
        ),
    ],
)
def test_malformed_claim_is_422_problem_naming_the_field(api: Api, change: dict[str, Any], parameter: str) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    body = base_claim(source["id"])
    for name, value in change.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    response = client.post("/v1/claims", json=body)
    assert_problem(response, 422, parameter)
    assert list_ids(client) == []


def test_statement_of_exactly_5000_characters_is_accepted(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"], statement="x" * 5000)
    assert len(claim["statement"]) == 5000


def test_line_breaks_and_tabs_are_allowed_in_a_statement(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"], statement="First line.\nSecond\tline.")
    assert claim["statement"] == "First line.\nSecond\tline."


@pytest.mark.parametrize("field", ["stated_at", "event_start"])
def test_time_outside_the_representable_range_in_utc_is_422_not_500(api: Api, field: str) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    response = client.post("/v1/claims", json=base_claim(source["id"], **{field: "0001-01-01T00:00:00+01:00"}))
    assert_problem(response, 422, field)


def test_unknown_claim_id_is_404_problem(api: Api) -> None:
    response = api.as_("viewer").get(f"/v1/claims/{UNKNOWN_ID}")
    assert_problem(response, 404)


def test_malformed_claim_id_in_path_is_422(api: Api) -> None:
    response = api.as_("viewer").get("/v1/claims/not-a-uuid")
    assert_problem(response, 422)


def test_external_id_is_unique_and_clash_is_409_naming_the_existing_claim(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    first = make_claim(client, source["id"], external_id="upi-1")
    clash = api.as_("analyst2").post("/v1/claims", json=base_claim(source["id"], external_id="upi-1"))
    body = assert_problem(clash, 409)
    assert "upi-1" in body["detail"]
    assert body["claim_id"] == first["id"]
    other = make_claim(api.as_("analyst"), source["id"], external_id="upi-2")
    assert other["external_id"] == "upi-2"
    assert sorted(list_ids(client)) == sorted([first["id"], other["id"]])


def test_claims_without_external_id_do_not_clash(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    make_claim(client, source["id"])
    make_claim(client, source["id"])
    assert len(list_ids(client)) == 2


def test_viewer_may_read_claims_but_not_post_them(api: Api) -> None:
    source = make_source(api.as_("analyst"))
    claim = make_claim(api.as_("analyst"), source["id"])
    viewer = api.as_("viewer")
    assert viewer.get(f"/v1/claims/{claim['id']}").status_code == 200
    assert list_ids(viewer) == [claim["id"]]
    refused = viewer.post("/v1/claims", json=base_claim(source["id"]))
    assert_problem(refused, 403)
    assert list_ids(viewer) == [claim["id"]]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_without_key_is_401_problem(api: Api, method: str) -> None:
    client = api.anonymous()
    response = client.request(method, "/v1/claims", json=base_claim(UNKNOWN_ID) if method == "POST" else None)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_request_with_unknown_key_is_401_problem(api: Api) -> None:
    client = api.anonymous()
    response = client.get("/v1/claims", headers={"Authorization": "Bearer cdb_nope_notasecret"})
    assert_problem(response, 401)


# ---- listing: filters ------------------------------------------------------------------------------


def test_list_shape_is_items_and_next_cursor(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    claim = make_claim(client, source["id"])
    body = client.get("/v1/claims").json()
    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    assert len(body["items"]) == 1
    assert set(body["items"][0]) == CLAIM_FIELDS
    assert body["items"][0] == {key: claim[key] for key in CLAIM_FIELDS}


def test_source_filter_accepts_id_name_and_alias_case_insensitively(api: Api) -> None:
    client = api.as_("analyst")
    isw = make_source(client, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    other = make_source(client, name="Azov Regiment", kind="armed_group")
    isw_claim = make_claim(client, isw["id"])
    make_claim(client, other["id"])
    assert list_ids(client, source=isw["id"]) == [isw_claim["id"]]
    assert list_ids(client, source="Institute for the Study of War") == [isw_claim["id"]]
    assert list_ids(client, source="institute for the study of war") == [isw_claim["id"]]
    assert list_ids(client, source="isw") == [isw_claim["id"]]
    assert list_ids(client, source="ISW") == [isw_claim["id"]]


def test_source_filter_is_exact_not_a_fragment(api: Api) -> None:
    client = api.as_("analyst")
    make_source(client, name="Institute for the Study of War")
    response = client.get("/v1/claims", params={"source": "Institute"})
    assert_problem(response, 422, "source")


def test_repeated_source_filter_is_or(api: Api) -> None:
    client = api.as_("analyst")
    first = make_source(client, name="First")
    second = make_source(client, name="Second")
    third = make_source(client, name="Third")
    one = make_claim(client, first["id"])
    two = make_claim(client, second["id"])
    make_claim(client, third["id"])
    assert sorted(list_ids(client, source=["First", second["id"]])) == sorted([one["id"], two["id"]])


@pytest.mark.parametrize("value", ["Nobody", UNKNOWN_ID])
def test_unknown_source_filter_is_422_naming_source(api: Api, value: str) -> None:
    client = api.as_("analyst")
    make_claim(client, make_source(client)["id"])
    assert_problem(client.get("/v1/claims", params={"source": value}), 422, "source")


def test_include_children_adds_descendants_claims(api: Api) -> None:
    client = api.as_("analyst")
    staff = make_source(client, name="General Staff")
    spokesman = make_source(client, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"])
    deputy = make_source(client, name="Deputy Spokesman", kind="individual", parent_id=spokesman["id"])
    stranger = make_source(client, name="Stranger")
    staff_claim = make_claim(client, staff["id"])
    spokesman_claim = make_claim(client, spokesman["id"])
    deputy_claim = make_claim(client, deputy["id"])
    make_claim(client, stranger["id"])
    assert list_ids(client, source="General Staff") == [staff_claim["id"]]
    with_children = list_ids(client, source="General Staff", include_children="true")
    assert sorted(with_children) == sorted([staff_claim["id"], spokesman_claim["id"], deputy_claim["id"]])
    below_spokesman = list_ids(client, source=spokesman["id"], include_children="true")
    assert sorted(below_spokesman) == sorted([spokesman_claim["id"], deputy_claim["id"]])


def test_status_filter_is_repeatable(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    fresh = make_claim(client, source["id"])
    reviewing = make_claim(client, source["id"])
    retracted = make_claim(client, source["id"])
    assert move(api.as_("analyst"), reviewing, "under_review").status_code == 200
    assert move(api.as_("reviewer"), retracted, "retracted").status_code == 200
    client = api.as_("viewer")
    assert list_ids(client, status="claimed") == [fresh["id"]]
    assert list_ids(client, status="under_review") == [reviewing["id"]]
    both = list_ids(client, status=["claimed", "retracted"])
    assert sorted(both) == sorted([fresh["id"], retracted["id"]])
    assert list_ids(client, status="confirmed") == []


def test_unknown_status_filter_is_422_naming_status(api: Api) -> None:
    assert_problem(api.as_("viewer").get("/v1/claims", params={"status": "true"}), 422, "status")


def test_channel_filter(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    telegram = make_claim(client, source["id"], channel="telegram")
    make_claim(client, source["id"], channel="interview")
    assert list_ids(client, channel="telegram") == [telegram["id"]]
    assert list_ids(client, channel="broadcast") == []
    assert_problem(client.get("/v1/claims", params={"channel": "tweet"}), 422, "channel")


def test_place_filter_is_case_insensitive_and_exact(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    kharkiv = make_claim(client, source["id"], places=["Kharkiv", "Izium"])
    mariupol = make_claim(client, source["id"], places=["Mariupol"])
    assert list_ids(client, place="kharkiv") == [kharkiv["id"]]
    assert list_ids(client, place="IZIUM") == [kharkiv["id"]]
    assert list_ids(client, place="Mariupol") == [mariupol["id"]]
    assert list_ids(client, place="Kharkiv Oblast") == []
    assert list_ids(client, place="Kyiv") == []


def test_tag_filter_is_case_insensitive(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    tagged = make_claim(client, source["id"], tags=["Withdrawal", "Azovstal"])
    make_claim(client, source["id"], tags=["evacuation"])
    assert list_ids(client, tag="withdrawal") == [tagged["id"]]
    assert list_ids(client, tag="AZOVSTAL") == [tagged["id"]]
    assert list_ids(client, tag="ceasefire") == []


def test_filters_combine_with_and(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client, name="Combined")
    other = make_source(client)
    wanted = make_claim(client, source["id"], channel="telegram", places=["Kharkiv"], tags=["front"])
    make_claim(client, source["id"], channel="telegram", places=["Kyiv"], tags=["front"])
    make_claim(client, source["id"], channel="briefing", places=["Kharkiv"], tags=["front"])
    make_claim(client, other["id"], channel="telegram", places=["Kharkiv"], tags=["front"])
    ids = list_ids(client, source="combined", channel="telegram", place="kharkiv", tag="front")
    assert ids == [wanted["id"]]


def _claims_on_three_days(client: httpx.Client) -> dict[str, dict[str, Any]]:
    source = make_source(client)
    return {
        "13th": make_claim(client, source["id"], stated_at="2022-05-13T23:59:59+00:00"),
        "14th early": make_claim(client, source["id"], stated_at="2022-05-14T00:00:00+00:00"),
        "14th late": make_claim(client, source["id"], stated_at="2022-05-14T23:59:59.999999+00:00"),
        "15th": make_claim(client, source["id"], stated_at="2022-05-15T00:00:00+00:00"),
    }


def test_stated_range_is_inclusive_and_a_bare_date_covers_its_whole_day(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_on_three_days(client)
    day = list_ids(client, stated_from="2022-05-14", stated_to="2022-05-14")
    assert sorted(day) == sorted([claims["14th early"]["id"], claims["14th late"]["id"]])
    assert sorted(list_ids(client, stated_from="2022-05-14")) == sorted(
        [claims["14th early"]["id"], claims["14th late"]["id"], claims["15th"]["id"]]
    )
    assert sorted(list_ids(client, stated_to="2022-05-13")) == [claims["13th"]["id"]]


def test_stated_range_with_times_is_inclusive_at_both_ends(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_on_three_days(client)
    ids = list_ids(client, stated_from="2022-05-14T00:00:00Z", stated_to="2022-05-15T00:00:00+00:00")
    assert sorted(ids) == sorted([claims["14th early"]["id"], claims["14th late"]["id"], claims["15th"]["id"]])


def test_stated_range_compares_instants_across_offsets(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    # 01:00 in Kyiv (+03:00) on the 14th is 22:00 UTC on the 13th.
    claim = make_claim(client, source["id"], stated_at="2022-05-14T01:00:00+03:00")
    assert list_ids(client, stated_to="2022-05-13") == [claim["id"]]
    assert list_ids(client, stated_from="2022-05-14") == []
    assert list_ids(client, stated_from="2022-05-14T00:30:00+03:00") == [claim["id"]]
    assert list_ids(client, stated_from="2022-05-14T01:00:01+03:00") == []


@pytest.mark.parametrize("parameter", ["stated_from", "stated_to", "recorded_from", "recorded_to"])
@pytest.mark.parametrize("value", ["2022-13-01", "14/05/2022", "yesterday", "2022-05-14T25:00:00Z"])
def test_bad_date_is_422_naming_the_parameter(api: Api, parameter: str, value: str) -> None:
    response = api.as_("viewer").get("/v1/claims", params={parameter: value})
    assert_problem(response, 422, parameter)


@pytest.mark.parametrize("parameter", ["stated_from", "stated_to", "recorded_from", "recorded_to", "as_of"])
def test_time_bound_outside_the_representable_range_is_422_not_500(api: Api, parameter: str) -> None:
    response = api.as_("viewer").get("/v1/claims", params={parameter: "0001-01-01T00:00:00+01:00"})
    assert_problem(response, 422, parameter)


def test_recorded_range_filters_on_when_the_claim_was_recorded(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    first, second, third = (make_claim(client, source["id"]) for _ in range(3))
    assert first["created_at"] < second["created_at"] < third["created_at"]
    from_second = list_ids(client, recorded_from=second["created_at"])
    assert sorted(from_second) == sorted([second["id"], third["id"]])
    up_to_second = list_ids(client, recorded_to=second["created_at"])
    assert sorted(up_to_second) == sorted([first["id"], second["id"]])
    only_second = list_ids(client, recorded_from=second["created_at"], recorded_to=second["created_at"])
    assert only_second == [second["id"]]
    today = first["created_at"][:10]
    assert len(list_ids(client, recorded_from=today, recorded_to=today)) == 3
    assert list_ids(client, recorded_to="2000-01-01") == []


# ---- listing: sorts, limits and keyset paging ------------------------------------------------------


def _claims_for_paging(client: httpx.Client) -> list[dict[str, Any]]:
    """Nine claims, some sharing a stated_at so that the id tie-break matters."""
    source = make_source(client)
    times = [
        "2022-05-14T09:00:00+00:00",
        "2022-05-12T09:00:00+00:00",
        "2022-05-14T09:00:00+00:00",
        "2022-05-13T09:00:00+00:00",
        "2022-05-14T09:00:00+00:00",
        "2022-05-15T09:00:00+00:00",
        "2022-05-13T09:00:00+00:00",
        "2022-05-11T09:00:00.500000+00:00",
        "2022-05-14T09:00:00+00:00",
    ]
    return [make_claim(client, source["id"], stated_at=moment) for moment in times]


def _walk(client: httpx.Client, limit: int, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/claims", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


def test_default_sort_is_newest_statement_first_with_id_tie_break(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_for_paging(client)
    items = client.get("/v1/claims", params={"limit": 500}).json()["items"]
    keys = [(item["stated_at"], item["id"]) for item in items]
    assert keys == sorted(((claim["stated_at"], claim["id"]) for claim in claims), reverse=True)
    explicit = client.get("/v1/claims", params={"limit": 500, "sort": "-stated_at"}).json()["items"]
    assert [item["id"] for item in explicit] == [item["id"] for item in items]


def test_sort_stated_at_is_oldest_statement_first(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_for_paging(client)
    items = client.get("/v1/claims", params={"limit": 500, "sort": "stated_at"}).json()["items"]
    assert [(item["stated_at"], item["id"]) for item in items] == sorted(
        (claim["stated_at"], claim["id"]) for claim in claims
    )


def test_sort_recorded_at_descending_is_latest_recorded_first(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_for_paging(client)
    items = client.get("/v1/claims", params={"limit": 500, "sort": "-recorded_at"}).json()["items"]
    assert [item["id"] for item in items] == [claim["id"] for claim in reversed(claims)]


def test_unknown_sort_is_422_naming_sort(api: Api) -> None:
    assert_problem(api.as_("viewer").get("/v1/claims", params={"sort": "statement"}), 422, "sort")


@pytest.mark.parametrize("sort", ["-stated_at", "stated_at", "-recorded_at"])
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_keyset_paging_walks_every_claim_once_in_order(api: Api, sort: str, limit: int) -> None:
    client = api.as_("analyst")
    claims = _claims_for_paging(client)
    whole = client.get("/v1/claims", params={"limit": 500, "sort": sort}).json()
    assert whole["next_cursor"] is None
    walked = _walk(client, limit, sort=sort)
    walked_ids = [item["id"] for item in walked]
    assert len(walked_ids) == len(set(walked_ids)) == len(claims)
    assert walked_ids == [item["id"] for item in whole["items"]]


def test_keyset_paging_keeps_filters_across_pages(api: Api) -> None:
    client = api.as_("analyst")
    claims = _claims_for_paging(client)
    other = make_source(client)
    for _ in range(3):
        make_claim(client, other["id"], stated_at="2022-05-14T09:00:00+00:00")
    walked = _walk(client, 2, source=claims[0]["source"]["id"], stated_from="2022-05-13")
    expected = {claim["id"] for claim in claims if claim["stated_at"] >= "2022-05-13"}
    assert [item["id"] for item in walked] == list_ids(
        client, source=claims[0]["source"]["id"], stated_from="2022-05-13"
    )
    assert {item["id"] for item in walked} == expected


def test_last_full_page_has_no_next_cursor(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    for _ in range(4):
        make_claim(client, source["id"])
    first = client.get("/v1/claims", params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"] is not None
    second = client.get("/v1/claims", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    exact = client.get("/v1/claims", params={"limit": 4}).json()
    assert len(exact["items"]) == 4
    assert exact["next_cursor"] is None


def test_default_limit_is_50(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    for _ in range(51):
        make_claim(client, source["id"])
    page = client.get("/v1/claims").json()
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None


@pytest.mark.parametrize("limit", [0, -1, 501, "many"])
def test_limit_outside_1_to_500_is_422_naming_limit(api: Api, limit: Any) -> None:
    assert_problem(api.as_("viewer").get("/v1/claims", params={"limit": limit}), 422, "limit")


@pytest.mark.parametrize("limit", [1, 500])
def test_limit_bounds_are_accepted(api: Api, limit: int) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    make_claim(client, source["id"])
    make_claim(client, source["id"])
    page = client.get("/v1/claims", params={"limit": limit}).json()
    assert len(page["items"]) == min(limit, 2)
    assert (page["next_cursor"] is None) == (limit == 500)


def _a_cursor(client: httpx.Client, sort: str = "-stated_at") -> str:
    source = make_source(client)
    for _ in range(3):
        make_claim(client, source["id"])
    cursor = client.get("/v1/claims", params={"limit": 1, "sort": sort}).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_tampered_cursor_is_422_naming_cursor(api: Api) -> None:
    client = api.as_("analyst")
    cursor = _a_cursor(client)
    middle = len(cursor) // 2
    tampered = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    assert_problem(client.get("/v1/claims", params={"cursor": tampered, "limit": 1}), 422, "cursor")


@pytest.mark.parametrize("garbage", ["garbage", "!!!!", "é", "a", "eyJzIjoiLXN0YXRlZF9hdCJ9", "=" * 8])
def test_garbage_cursor_is_422_naming_cursor(api: Api, garbage: str) -> None:
    client = api.as_("analyst")
    make_claim(client, make_source(client)["id"])
    assert_problem(client.get("/v1/claims", params={"cursor": garbage}), 422, "cursor")


@pytest.mark.parametrize(("made_for", "used_for"), [("-stated_at", "stated_at"), ("stated_at", "-recorded_at")])
def test_cursor_from_another_sort_is_422_naming_cursor(api: Api, made_for: str, used_for: str) -> None:
    client = api.as_("analyst")
    cursor = _a_cursor(client, made_for)
    assert client.get("/v1/claims", params={"cursor": cursor, "sort": made_for}).status_code == 200
    assert_problem(client.get("/v1/claims", params={"cursor": cursor, "sort": used_for}), 422, "cursor")


def test_audit_cursor_is_not_a_claims_cursor(api: Api) -> None:
    client = api.as_("analyst")
    source = make_source(client)
    make_claim(client, source["id"])
    audit_cursor = client.get("/v1/audit", params={"limit": 1}).json()["next_cursor"]
    assert isinstance(audit_cursor, str)
    assert_problem(client.get("/v1/claims", params={"cursor": audit_cursor}), 422, "cursor")


def test_amending_to_a_time_outside_the_representable_range_is_422_not_500(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    response = client.patch(
        f"/v1/claims/{claim['id']}", json={"stated_at": "9999-12-31T23:59:59-01:00"}, headers={"If-Match": '"1"'}
    )
    assert_problem(response, 422, "stated_at")
    assert client.get(f"/v1/claims/{claim['id']}").json()["stated_at"] == claim["stated_at"]
