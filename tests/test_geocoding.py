"""Resolution quality, measured: the place mentions of tests/data/geocoding/ resolved through the API against the
whole gazetteer, on both engines. Accuracy (places resolved as expected, or left unresolved where expected) must be
at least 0.90, and a name the data marks ambiguous without context must never be resolved."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from api.database import Database
from api.services.places import gazetteer
from tests.conftest import Api
from tests.factories import make_place, make_source

DATA = Path(__file__).parent / "data" / "geocoding" / "mentions.json"
REQUIRED_ACCURACY = 0.90


def _gazetteer_id(reference: str) -> str:
    kind, _colon, key = reference.partition(":")
    return str(uuid.uuid5(gazetteer.GAZETTEER_NAMESPACE, f"{'iso' if kind == 'iso' else 'geonames'}:{key}"))


@pytest.mark.slow
def test_resolution_accuracy_on_the_written_mentions(api: Api, database: Database) -> None:
    with database.transaction() as session:
        loaded = gazetteer.load(session)
    assert loaded.added > 5_500
    data = json.loads(DATA.read_text("utf-8"))
    analyst = api.as_("analyst")
    added: dict[str, str] = {}
    for place in data["added"]:
        body: dict[str, Any] = {key: place[key] for key in ("kind", "aliases", "lat", "lon") if key in place}
        if "parent" in place:
            body["parent_id"] = _gazetteer_id(place["parent"])
        added[place["name"]] = make_place(analyst, place["name"], **body)["id"]
    mentions = correct = 0
    wrong: list[str] = []
    silently_resolved: list[str] = []
    for number, case in enumerate(data["cases"]):
        source = make_source(analyst, name=f"Case {number}")
        response = analyst.post(
            "/v1/claims",
            json={
                "statement": case["sentence"],
                "source_id": source["id"],
                "channel": "statement",
                "stated_at": "2024-01-01T00:00:00Z",
                "places": case["places"],
            },
        )
        assert response.status_code == 201, response.text
        for place, expected in zip(response.json()["places"], case["expected"], strict=True):
            mentions += 1
            if expected is None:
                ok = place["place_id"] is None and len(place["candidates"]) >= 2
                if place["place_id"] is not None:
                    silently_resolved.append(f"{place['name']!r} in {case['sentence']!r}")
            else:
                want = added[expected[6:]] if expected.startswith("added:") else _gazetteer_id(expected)
                ok = place["place_id"] == want
            correct += ok
            if not ok:
                wrong.append(f"{place['name']!r} in {case['sentence']!r}: got {place['place_id']}, want {expected}")
    accuracy = correct / mentions
    print(f"\ngeocoding accuracy: {correct}/{mentions} = {accuracy:.3f}")
    assert mentions >= 60
    assert silently_resolved == [], silently_resolved
    assert accuracy >= REQUIRED_ACCURACY, wrong
