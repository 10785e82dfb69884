"""The demo data: UPI's report of 14 May 2022, with its attribution intact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.database import Database
from api.services import demo
from tests.conftest import Api
from tests.factories import history_of


@pytest.fixture
def demo_api(api: Api, database: Database) -> Api:
    with database.transaction() as session:
        demo.issue_demo_keys(session)
        demo.load(session)
    return api


def test_demo_has_the_reports_claims_with_attribution(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    items = client.get("/v1/claims", params={"limit": 100}).json()["items"]
    assert len(items) >= 10
    assert {item["document"]["title"] for item in items} == {
        "Ukraine: Russians retreating from Kharkiv, counteroffensive underway"
    }
    by_source = {item["source"]["name"] for item in items}
    assert {
        "General Staff of the Armed Forces of Ukraine",
        "Institute for the Study of War",
        "Azov Regiment",
        "Kharkiv Regional Military Administration",
        "Government of Ukraine",
        "President of Ukraine",
    } <= by_source
    speakers = {item["speaker"]["name"] for item in items if item["speaker"]}
    assert speakers == {"Oleksandr Shtupun", "Oleh Synehubov", "Iryna Vereshchuk", "Volodymyr Zelensky"}


def test_demo_dates_resolve_the_weekdays(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    isw = client.get("/v1/claims", params={"source": "ISW"}).json()["items"]
    assert {item["stated_at"] for item in isw} == {"2022-05-13T00:00:00Z"}  # Friday
    staff = client.get("/v1/claims", params={"source": "Ukrainian General Staff"}).json()["items"]
    assert {item["stated_at"] for item in staff} == {"2022-05-14T00:00:00Z"}  # Saturday
    assert all(item["stated_at_precision"] == "day" for item in isw + staff)


def test_demo_relays_vereshchuk_through_suspilne(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    items = client.get("/v1/claims", params={"source": "Government of Ukraine"}).json()["items"]
    evacuation = next(item for item in items if "60 people" in item["statement"])
    assert evacuation["channel"] == "interview"
    assert evacuation["channel_detail"] == "told Ukrainian state broadcaster Suspilne"
    assert [ref["name"] for ref in evacuation["via"]] == ["Suspilne"]
    assert [place["name"] for place in evacuation["places"]] == ["Azovstal", "Mariupol"]


def test_demo_party_query_includes_spokesmen(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    whole = client.get("/v1/claims", params={"source": "Armed Forces of Ukraine", "include_children": "true"})
    alone = client.get("/v1/claims", params={"source": "Armed Forces of Ukraine"})
    assert len(whole.json()["items"]) == len(alone.json()["items"]) + 2


def test_demo_review_is_in_the_ledger(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    corroborated = client.get("/v1/claims", params={"status": "corroborated"}).json()["items"]
    assert len(corroborated) == 1
    assert corroborated[0]["credibility"] == 2
    history = history_of(client, corroborated[0]["id"])
    assert [event["type"] for event in history] == [
        "claim.created",
        "evidence.added",
        "claim.status_changed",
        "claim.status_changed",
    ]
    assert history[-1]["actor"]["name"] == "demo-reviewer"
    assert datetime.fromisoformat(history[-1]["at"]) <= datetime.now(UTC)
    assert client.get("/v1/audit/verify").json()["ok"] is True


def test_scorecard_counts_the_demo_review(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    isw = client.get("/v1/claims", params={"source": "ISW"}).json()["items"][0]["source"]["id"]
    card = client.get(f"/v1/sources/{isw}/scorecard").json()
    assert card["claims"] == 2
    assert card["by_status"]["corroborated"] == 1
    assert card["by_status"]["claimed"] == 1
    assert card["reviewed"] == 1
    assert card["share_confirmed"] == 0.0
    assert card["share_refuted"] == 0.0
    assert card["median_seconds_to_first_review"] is not None
    assert card["median_seconds_to_first_review"] >= 0
    assert card["reliability"] == "B"


def test_scorecard_with_children_counts_the_spokesman(demo_api: Api) -> None:
    client = demo_api.as_("viewer")
    army = client.get("/v1/sources", params={"q": "Armed Forces of Ukraine"}).json()["items"]
    root = next(item for item in army if item["name"] == "Armed Forces of Ukraine")
    alone = client.get(f"/v1/sources/{root['id']}/scorecard").json()
    whole = client.get(f"/v1/sources/{root['id']}/scorecard", params={"include_children": "true"}).json()
    assert alone["claims"] == 2
    assert whole["claims"] == 4
    assert whole["reviewed"] == 0
    assert whole["share_confirmed"] is None
    listed = client.get(f"/v1/sources/{root['id']}/claims", params={"include_children": "true"}).json()["items"]
    assert len(listed) == 4
    missing = client.get("/v1/sources/00000000-0000-0000-0000-000000000001/claims")
    assert missing.status_code == 404


def test_sources_sorted_by_claim_count(demo_api: Api) -> None:
    items = demo_api.as_("viewer").get("/v1/sources", params={"sort": "-claims", "limit": 3}).json()["items"]
    counts = [item["claim_count"] for item in items]
    assert counts == sorted(counts, reverse=True)
    assert items[0]["name"] == "Kharkiv Regional Military Administration"
    assert counts[0] == 3
