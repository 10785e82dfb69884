"""Claims out: streamed exports (NDJSON, CSV, ClaimReview) and the change feed that mirrors the database."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from api.services.exporting import EXPORT_PAGE
from api.settings import Settings
from tests.conftest import Api
from tests.factories import (
    amend,
    export,
    export_lines,
    make_claim,
    make_source,
    minimal,
    move,
    ndjson,
    post_import,
)
from tests.test_cli import run

# ---- export ---------------------------------------------------------------------------------------------


def test_export_takes_the_list_filters(api: Api) -> None:
    analyst = api.as_("analyst")
    isw = make_source(analyst, name="ISW", kind="think_tank")
    azov = make_source(analyst, name="Azov Regiment", kind="armed_group")
    for source in (isw, azov, azov):
        make_claim(analyst, source["id"], places=["Mariupol"] if source is azov else [])
    listed = analyst.get("/v1/claims", params={"source": "Azov Regiment", "place": "mariupol"}).json()["items"]
    exported = export_lines(analyst, source="Azov Regiment", place="mariupol")
    assert [line["external_id"] for line in exported] == [item["id"] for item in listed]
    unknown = export(analyst, source="Nobody")
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"


def test_csv_has_a_header_one_row_a_claim_and_rfc_4180_quoting(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst, name="Kharkiv Regional Military Administration", kind="official")
    statement = 'Izium "remains the hottest spot", he said,\nand the enemy retreats.'
    make_claim(analyst, source["id"], statement=statement, places=["Izium", "Kharkiv"], tags=["front", "retreat"])
    make_claim(analyst, source["id"])
    response = export(analyst, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    raw = response.content.decode()
    assert '"Izium ""remains the hottest spot"", he said,\nand the enemy retreats."' in raw
    assert raw.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["id", "external_id", "statement"]
    assert len(body) == 2
    quoted = next(dict(zip(header, row, strict=True)) for row in body if row[2] == statement)
    assert quoted["places"] == "Izium;Kharkiv"
    assert quoted["tags"] == "front;retreat"
    assert quoted["source"] == "Kharkiv Regional Military Administration"
    assert quoted["grade"] == "F6"


FORMULAS = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTab",
    "\rReturn",
]


def test_csv_cells_that_a_spreadsheet_would_run_get_a_leading_apostrophe(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst, name="=Source formula", kind="official")
    for index, formula in enumerate(FORMULAS):
        make_claim(
            analyst,
            source["id"],
            statement=formula,
            quote=formula,
            tags=[f"@tag{index}"],
            places=[f"-place{index}"],
            channel_detail=formula.strip() or "x",
        )
    make_claim(analyst, source["id"], statement="A plain statement, = in the middle is fine.", tags=["plain"])
    api_csv = export(analyst, format="csv").content
    target = tmp_path / "claims.csv"
    cli = run(database_url, "export", "--format", "csv", "-o", str(target))
    assert cli.returncode == 0, cli.stderr
    for raw in (api_csv, target.read_bytes()):
        rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
        header, body = rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
        assert header[0] == "id"
        # No cell of any row starts with a character a spreadsheet treats as a formula.
        assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
        statements = {row["statement"] for row in body}
        assert statements == {"'" + formula for formula in FORMULAS} | {"A plain statement, = in the middle is fine."}
        formula_rows = [row for row in body if row["statement"] != "A plain statement, = in the middle is fine."]
        assert {row["quote"] for row in formula_rows} == {"'" + formula for formula in FORMULAS}
        assert all(row["source"] == "'=Source formula" for row in body)
        assert all(row["tags"].startswith("'@tag") for row in formula_rows)
        assert all(row["places"].startswith("'-place") for row in formula_rows)
    # NDJSON, the format that re-imports, keeps the words exactly.
    lines = [orjson.loads(line) for line in export(analyst, format="ndjson").content.splitlines()]
    assert {line["statement"] for line in lines} >= set(FORMULAS)


@pytest.mark.slow
def test_export_of_5000_claims_is_streamed_a_page_at_a_time(api: Api) -> None:
    admin = api.as_("admin")
    body = ndjson([minimal(number, external_id=f"bulk-{number}") for number in range(5_000)])
    imported = post_import(admin, body)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 5_000
    chunks = 0
    lines = 0
    with admin.stream("GET", "/v1/export/claims", params={"format": "ndjson"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            chunks += 1
            lines += chunk.count(b"\n")
    assert lines == 5_000
    assert chunks >= 5_000 // EXPORT_PAGE


# ---- ClaimReview ----------------------------------------------------------------------------------------

EXPECTED_RATINGS = {
    "confirmed": (5, "Confirmed"),
    "corroborated": (4, "Corroborated"),
    "unverifiable": (3, "Unverifiable"),
    "retracted": (3, "Retracted by its source"),
    "disputed": (2, "Disputed"),
    "refuted": (1, "Refuted"),
}


def test_claimreview_maps_each_reviewed_status(api: Api, settings: Settings) -> None:
    admin = api.as_("admin")
    lines = [
        minimal(
            number,
            source="Azov Regiment",
            kind="armed_group",
            status=status,
            external_id=status,
            document={"url": "https://upi.example/2022/05/14", "title": "Azov: extremely critical"},
        )
        for number, status in enumerate(EXPECTED_RATINGS)
    ]
    lines[0]["source"]["reliability"] = "B"
    lines.append(minimal(10, source="Iryna Vereshchuk", kind="individual", status="confirmed", external_id="person"))
    lines.append(minimal(11, external_id="claimed"))
    lines.append(minimal(12, status="under_review", external_id="under_review"))
    assert post_import(admin, ndjson(lines)).status_code == 200
    response = export(admin, format="claimreview")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    reviews = response.json()
    assert len(reviews) == 7
    by_item = {review["claimReviewed"]: review for review in reviews}
    claims_by_status = {
        item["external_id"]: item for item in admin.get("/v1/claims", params={"limit": 50}).json()["items"]
    }
    for status, (value, words) in EXPECTED_RATINGS.items():
        claim = claims_by_status[status]
        review = by_item[claim["statement"]]
        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["reviewRating"] == {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": words,
        }
        assert review["url"] == f"{settings.public_base_url}/v1/claims/{claim['id']}"
        assert review["author"]["@type"] == "Organization"
        assert review["author"]["name"] == settings.publisher_name
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        assert item["author"] == {"@type": "Organization", "name": "Azov Regiment"}
        assert item["datePublished"] == "2022-05-14"
        assert item["appearance"]["url"] == "https://upi.example/2022/05/14"
        assert review["admiraltyGrade"] == f"B{claim['credibility']}"
    person = by_item[claims_by_status["person"]["statement"]]
    assert person["itemReviewed"]["author"] == {"@type": "Person", "name": "Iryna Vereshchuk"}
    assert "appearance" not in person["itemReviewed"]
    assert person["admiraltyGrade"] == "F1"

    one = admin.get(f"/v1/claims/{claims_by_status['refuted']['id']}/claimreview")
    assert one.status_code == 200
    assert one.headers["content-type"] == "application/ld+json"
    assert one.json() == by_item[claims_by_status["refuted"]["statement"]]
    for unreviewed in ("claimed", "under_review"):
        missing = admin.get(f"/v1/claims/{claims_by_status[unreviewed]['id']}/claimreview")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
    assert admin.get("/v1/claims/00000000-0000-0000-0000-000000000001/claimreview").status_code == 404
    only_claimed = export(admin, format="claimreview", status="claimed")
    assert only_claimed.json() == []


# ---- change feed ----------------------------------------------------------------------------------------


def _replay(client: httpx.Client, mirror: dict[str, dict[str, Any]], since_seq: int) -> int:
    """Fold the change feed after `since_seq` into `mirror` (claim id → state); return the last seq seen."""
    while True:
        page = client.get("/v1/audit", params={"since_seq": since_seq, "limit": 7}).json()["items"]
        if not page:
            return since_seq
        for event in page:
            assert event["seq"] == since_seq + 1, "the feed must be gapless and in order"
            since_seq = event["seq"]
            claim_id = event["claim_id"]
            if event["type"] in ("claim.created", "claim.imported"):
                recorded = event["payload"]["claim"]
                mirror[claim_id] = {**recorded, "status": event["to_status"], "version": 1}
            elif claim_id in mirror:
                mirror[claim_id]["version"] += 1
                if event["type"] == "claim.amended":
                    mirror[claim_id].update(event["payload"]["after"])
                if event["to_status"] is not None:
                    mirror[claim_id]["status"] = event["to_status"]


def _actual(client: httpx.Client) -> dict[str, dict[str, Any]]:
    items = client.get("/v1/claims", params={"limit": 500}).json()["items"]
    return {
        item["id"]: {
            "statement": item["statement"],
            "places": item["places"],
            "tags": item["tags"],
            "source_id": item["source"]["id"],
            "status": item["status"],
            "version": item["version"],
        }
        for item in items
    }


def _mirrored(mirror: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keep = ("statement", "tags", "source_id", "status", "version")
    # The ledger's places also carry the point and region copied into their rows; the API shows the four fields.
    shown = ("name", "place_id", "precision", "candidates")
    return {
        claim_id: {
            **{key: state[key] for key in keep},
            "places": [{key: place[key] for key in shown} for place in state["places"]],
        }
        for claim_id, state in mirror.items()
    }


def test_claimreview_json_can_be_embedded_in_a_script_block(api: Api) -> None:
    admin = api.as_("admin")
    statement = 'He said: </script><script>alert("x")</script> & <!-- more -->'
    line = minimal(1, source="Azov </script> Regiment", kind="armed_group", status="disputed", external_id="x")
    line["statement"] = statement
    assert post_import(admin, ndjson([line])).status_code == 200
    claim_id = admin.get("/v1/claims").json()["items"][0]["id"]
    one = admin.get(f"/v1/claims/{claim_id}/claimreview")
    every = export(admin, format="claimreview")
    for response in (one, every):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/ld+json"
        for character in (b"<", b">", b"&"):
            assert character not in response.content
        assert b"\\u003c/script\\u003e" in response.content and b"\\u0026" in response.content
    # The escapes are JSON's own: the document reads back with the words unchanged.
    assert one.json()["claimReviewed"] == statement
    assert every.json()[0]["claimReviewed"] == statement
    assert one.json()["itemReviewed"]["author"]["name"] == "Azov </script> Regiment"
    page = f'<script type="application/ld+json">{one.text}</script>'
    assert page.count("</script>") == 1


def test_replaying_the_change_feed_mirrors_the_database(api: Api) -> None:
    analyst, reviewer, admin = api.as_("analyst"), api.as_("reviewer"), api.as_("admin")
    source = make_source(analyst, name="Ministry of Defence", kind="government")
    first = make_claim(analyst, source["id"], places=["Kherson"])
    second = make_claim(analyst, source["id"])
    move(reviewer, first, "under_review")
    mirror: dict[str, dict[str, Any]] = {}
    last = _replay(admin, mirror, 0)
    assert _mirrored(mirror) == _actual(admin)

    amend(analyst, second, statement="A corrected statement.", tags=["corrected"])
    move(reviewer, first, "unverifiable")
    post_import(admin, ndjson([minimal(1, status="refuted"), minimal(2, places=["Odesa", "Mykolaiv"])]))
    make_claim(analyst, source["id"])
    last = _replay(admin, mirror, last)
    assert _mirrored(mirror) == _actual(admin)
    assert len(mirror) == 5
    assert _replay(admin, mirror, last) == last
