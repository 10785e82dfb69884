"""The demo data: UPI's report of 14 May 2022, with its attribution intact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.database import Database
from api.services import demo
from tests.conftest import Api


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
    assert evacuation["places"] == ["Azovstal", "Mariupol"]


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
    history = client.get(f"/v1/claims/{corroborated[0]['id']}/history").json()
    assert [event["type"] for event in history] == [
        "claim.created",
        "evidence.added",
        "claim.status_changed",
        "claim.status_changed",
    ]
    assert history[-1]["actor"]["name"] == "demo-reviewer"
    assert datetime.fromisoformat(history[-1]["at"]) <= datetime.now(UTC)
    assert client.get("/v1/audit/verify").json()["ok"] is True
