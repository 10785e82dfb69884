"""One claim shape: what the services return (`ClaimDict`) is what the OpenAPI document says (`ClaimOut`).

The list routes encode their pages straight from the services' dicts (`fast_json`), skipping response
validation; this holds fully populated pages (every optional field set) against the published schema, on both
engines, so a field added to one side and not the other fails here rather than only in fuzzing.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from tests.conftest import Api
from tests.factories import add_evidence, make_claim, make_document, make_place, make_source, move


def _validator(api: Api, component: str) -> jsonschema_rs.Draft202012Validator:
    document = api.anonymous().get("/openapi.json").json()
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema)


def _populated(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two claims of one source with every optional field set; the first confirmed, with evidence and a link."""
    analyst = api.as_("analyst")
    outlet = make_source(analyst, name="UPI", kind="media")
    party = make_source(analyst, name="General Staff", kind="military", aliases=["GSAFU"])
    speaker = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=party["id"])
    relay = make_source(analyst, name="Suspilne", kind="media")
    outside = make_source(analyst, name="ISW", kind="think_tank")
    document = make_document(analyst, outlet_id=outlet["id"])
    make_place(analyst, "Kharkiv", lat=49.98, lon=36.25)
    # Two namesakes and nothing to tell them apart: "Ternova" stays unresolved, with both as candidates.
    make_place(analyst, "Ternova", lat=50.16, lon=36.79)
    make_place(analyst, "Ternova", lat=48.1, lon=24.9)
    full = {
        "quote": "The enemy is withdrawing.",
        "speaker_id": speaker["id"],
        "channel": "update",
        "channel_detail": "in its morning update",
        "document_id": document["id"],
        "via": [relay["id"], outside["id"]],
        "stated_at_precision": "hour",
        "event_start": "2022-05-13T00:00:00+00:00",
        "event_end": "2022-05-14T00:00:00+00:00",
        "event_precision": "day",
        "places": ["Kharkiv", "Ternova"],
        "tags": ["withdrawal"],
        "language": "en",
    }
    first = make_claim(analyst, party["id"], external_id="wire-1", **full)
    second = make_claim(analyst, party["id"], external_id="wire-2", **full)
    assert move(analyst, first, "under_review").status_code == 200
    add_evidence(analyst, first, outside["id"], document_id=document["id"], note="imagery")
    linked = analyst.post(f"/v1/claims/{first['id']}/links", json={"kind": "corroborates", "to_claim": second["id"]})
    assert linked.status_code == 201
    assert move(api.as_("reviewer"), first, "confirmed").status_code == 200
    return first, party


def _assert_every_field_set(item: dict[str, Any]) -> None:
    empty = [name for name, value in item.items() if value is None or value == []]
    assert empty == [], f"fields left empty, so the page does not exercise them: {empty}"


@pytest.mark.parametrize(
    "path",
    ["/v1/claims", "/v1/claims?q=withdrawing", "/v1/claims?as_of=2100-01-01", "/v1/sources/{party}/claims"],
)
def test_every_claim_of_a_full_page_matches_the_published_schema(api: Api, path: str) -> None:
    _first, party = _populated(api)
    validator = _validator(api, "Page_ClaimOut_")
    response = api.as_("viewer").get(path.format(party=party["id"]), params={"limit": 1})
    assert response.status_code == 200, response.text
    page = response.json()
    validator.validate(page)
    assert page["next_cursor"] is not None
    following = api.as_("viewer").get(
        path.format(party=party["id"]), params={"limit": 500, "cursor": page["next_cursor"]}
    )
    validator.validate(following.json())
    for item in [*page["items"], *following.json()["items"]]:
        _assert_every_field_set(item)


def test_a_full_claim_with_its_evidence_links_and_verdict_matches_the_published_schema(api: Api) -> None:
    first, _party = _populated(api)
    claim = api.as_("viewer").get(f"/v1/claims/{first['id']}").json()
    _validator(api, "ClaimDetailOut").validate(claim)
    _assert_every_field_set({key: value for key, value in claim.items() if key not in ("evidence", "links", "verdict")})
    assert claim["evidence"] and claim["links"] and claim["verdict"]


def test_a_claim_has_exactly_the_fields_the_schema_names(api: Api) -> None:
    """What the schema cannot say by itself (it allows more properties): the same names on both sides."""
    _populated(api)
    components = api.anonymous().get("/openapi.json").json()["components"]["schemas"]
    page = api.as_("viewer").get("/v1/claims", params={"limit": 500}).json()
    for item in page["items"]:
        assert set(item) == set(components["ClaimOut"]["properties"])
        assert set(components["ClaimOut"]["required"]) == set(item)
