"""A source's scorecard: its median wait for a first review agrees with the ledger, however the claims got there
(reviews, later moves, imports, a migration that fills in the claims already recorded)."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

import httpx
import pytest

from api.migrate import downgrade, upgrade
from tests.conftest import Api
from tests.factories import add_evidence, history_of, make_claim, make_source, minimal, move, ndjson, post_import

REVIEWED = ("corroborated", "confirmed", "disputed", "refuted", "unverifiable")
# Each path ends in a reviewed status; the later moves must not change when the first review happened.
PATHS = (
    ("under_review", "disputed"),
    ("under_review", "unverifiable", "under_review", "disputed"),
    ("under_review", "corroborated", "confirmed"),
    ("under_review", "disputed", "refuted", "retracted"),
    ("under_review",),
)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ledger_waits(client: httpx.Client, claim_ids: list[str]) -> list[float]:
    """Seconds from each claim's recording to its first event into a reviewed status, from its history."""
    waits = []
    for claim_id in claim_ids:
        claim = client.get(f"/v1/claims/{claim_id}").json()
        history = history_of(client, claim_id)
        reviews = [_time(event["at"]) for event in history if event["to_status"] in REVIEWED]
        if reviews:
            waits.append((min(reviews) - _time(claim["created_at"])).total_seconds())
    return waits


def walk(api: Api, claim: dict[str, Any], path: tuple[str, ...], witness: dict[str, Any]) -> None:
    """Move the claim along `path`, the analyst adding independent evidence where a status needs it."""
    previous = "claimed"
    for status in path:
        if status in ("confirmed", "corroborated"):
            add_evidence(api.as_("analyst"), claim, witness["id"], "supports")
        if status == "refuted":
            add_evidence(api.as_("analyst"), claim, witness["id"], "contradicts")
        who = "analyst" if previous == "claimed" and status == "under_review" else "reviewer"
        response = move(api.as_(who), claim, status)
        assert response.status_code == 200, response.text
        previous = status


def scorecard(client: httpx.Client, source_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/sources/{source_id}/scorecard", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def reviewed(api: Api) -> dict[str, Any]:
    """A party with a unit below it, their claims walked along PATHS, and an outside witness."""
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff of the Armed Forces of Ukraine")
    unit = make_source(analyst, name="Azov Regiment", parent_id=staff["id"])
    witness = make_source(analyst, name="Institute for the Study of War", kind="think_tank")
    staff_claims = [make_claim(analyst, staff["id"]) for _ in PATHS]
    unit_claims = [make_claim(analyst, unit["id"]) for _ in range(2)]
    for claim, path in zip(staff_claims, PATHS, strict=True):
        walk(api, claim, path, witness)
    walk(api, unit_claims[0], ("under_review", "corroborated"), witness)
    return {
        "staff": staff,
        "unit": unit,
        "staff_claims": [claim["id"] for claim in staff_claims],
        "unit_claims": [claim["id"] for claim in unit_claims],
    }


def test_median_wait_is_the_ledgers_first_review_and_later_moves_do_not_shift_it(
    api: Api, reviewed: dict[str, Any]
) -> None:
    viewer = api.as_("viewer")
    waits = ledger_waits(viewer, reviewed["staff_claims"])
    assert len(waits) == 4  # an even number: the median is the mean of the middle two
    card = scorecard(viewer, reviewed["staff"]["id"])
    assert card["median_seconds_to_first_review"] == pytest.approx(statistics.median(waits), abs=1e-6)
    assert card["by_status"]["retracted"] == 1
    assert card["by_status"]["under_review"] == 1
    assert card["reviewed"] == 3  # the retracted claim was reviewed once, but is not counted as reviewed now

    everything = ledger_waits(viewer, reviewed["staff_claims"] + reviewed["unit_claims"])
    assert len(everything) == 5  # odd: the middle one
    whole = scorecard(viewer, reviewed["staff"]["id"], include_children="true")
    assert whole["claims"] == 7
    assert whole["median_seconds_to_first_review"] == pytest.approx(statistics.median(everything), abs=1e-6)


def test_a_claim_never_reviewed_has_no_wait(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    claim = make_claim(analyst, source["id"])
    assert move(analyst, claim, "under_review").status_code == 200
    card = scorecard(analyst, source["id"])
    assert card["median_seconds_to_first_review"] is None
    assert card["share_confirmed"] is None


def test_an_imported_reviewed_claim_was_reviewed_when_it_was_imported(api: Api) -> None:
    admin = api.as_("admin")
    lines = [minimal(1, source="Imported Staff", status="confirmed"), minimal(2, source="Imported Staff")]
    assert post_import(admin, ndjson(lines)).status_code == 200
    source_id = admin.get("/v1/sources", params={"q": "Imported Staff"}).json()["items"][0]["id"]
    card = scorecard(admin, source_id)
    assert card["by_status"]["confirmed"] == 1
    assert card["median_seconds_to_first_review"] == 0.0  # recorded and reviewed by the same import event


@pytest.mark.fresh_database
def test_migration_0004_fills_first_reviews_from_the_ledger(
    api: Api, reviewed: dict[str, Any], database_url: str
) -> None:
    viewer = api.as_("viewer")
    before = scorecard(viewer, reviewed["staff"]["id"], include_children="true")
    assert before["median_seconds_to_first_review"] is not None
    downgrade(database_url, "0003")
    upgrade(database_url, "head")
    after = scorecard(viewer, reviewed["staff"]["id"], include_children="true")
    assert after == before
