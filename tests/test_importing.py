"""Claims in: the NDJSON import (all or nothing), round trips through another database, the command line's import."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.database import Database
from api.progress import ProgressReporter
from api.services.auth import create_key
from api.settings import Settings
from models.vocabulary import Role
from tests.conftest import Api, cloned_template
from tests.factories import (
    amend,
    chain_ok,
    counts,
    export_lines,
    history_of,
    make_claim,
    make_document,
    make_source,
    minimal,
    move,
    ndjson,
    post_import,
)
from tests.test_cli import run


@pytest.fixture
def other_database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second fresh, migrated database on the same engine: the other end of a round trip."""
    with cloned_template(request, engine_name, tmp_path, "other") as url:
        yield url


@pytest.fixture
def other_admin(other_database_url: str) -> Iterator[httpx.Client]:
    """An admin's client on the second database."""
    database = Database(other_database_url)
    with database.transaction() as session:
        _actor, _key, secret = create_key(session, "archivist", Role.ADMIN)
    database.dispose()
    app = create_app(Settings(database_url=other_database_url, secret_key="test-secret"))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        yield client


# ---- import ---------------------------------------------------------------------------------------------


def test_minimal_lines_create_sources_by_kind_and_find_existing_ones_by_alias(api: Api) -> None:
    isw = make_source(api.as_("analyst"), name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    admin = api.as_("admin")
    lines = [minimal(1), minimal(2, source="isw", kind="think_tank"), minimal(3, source="General Staff")]
    response = post_import(admin, ndjson(lines))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "unchanged": 0, "sources_created": 1, "documents_created": 0}
    items = admin.get("/v1/claims", params={"sort": "-recorded_at", "limit": 10}).json()["items"]
    by_statement = {item["statement"]: item for item in items}
    assert by_statement["Claim 2: the front moved."]["source"]["id"] == isw["id"]
    staff = by_statement["Claim 1: the front moved."]["source"]
    assert by_statement["Claim 3: the front moved."]["source"] == staff
    assert admin.get(f"/v1/sources/{staff['id']}").json()["kind"] == "military"
    assert {item["stated_at_precision"] for item in items} == {"day"}
    assert {item["status"] for item in items} == {"claimed"}
    assert chain_ok(admin)


def test_a_source_may_be_defined_on_a_later_line_and_documents_are_found_by_url(api: Api) -> None:
    report = make_document(api.as_("analyst"), title="Morning update")
    admin = api.as_("admin")
    first = {**minimal(1), "source": {"name": "ISW"}, "document": {"url": report["url"]}}
    second = minimal(2, source="isw", kind="think_tank", document={"url": "https://new.example/1", "title": "New"})
    # A byte-order mark and CRLF line ends, as some editors write them, are accepted.
    body = b"\xef\xbb\xbf" + orjson.dumps(first) + b"\r\n" + orjson.dumps(second) + b"\r\n"
    response = post_import(admin, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 2, "unchanged": 0, "sources_created": 1, "documents_created": 1}
    items = admin.get("/v1/claims", params={"sort": "-recorded_at"}).json()["items"]
    assert {item["source"]["name"] for item in items} == {"isw"}
    assert {item["document"]["url"] for item in items} == {report["url"], "https://new.example/1"}
    assert next(item for item in items if item["document"]["url"] == report["url"])["document"]["id"] == report["id"]


def test_imported_status_is_recorded_by_one_imported_event_naming_the_admin(api: Api) -> None:
    admin = api.as_("admin")
    line = minimal(1, status="confirmed", status_changed_at="2022-06-01T10:00:00+00:00", external_id="wire-1")
    assert post_import(admin, ndjson([line])).status_code == 200
    claim = admin.get("/v1/claims", params={"status": "confirmed"}).json()["items"][0]
    assert claim["status"] == "confirmed"
    assert claim["credibility"] == 1
    assert claim["status_changed_at"] == "2022-06-01T10:00:00Z"
    assert claim["created_by"] is None
    history = history_of(admin, claim["id"])
    assert [event["type"] for event in history] == ["claim.imported"]
    event = history[0]
    assert event["actor"]["name"] == "admin"
    assert event["to_status"] == "confirmed"
    assert event["payload"]["status"] == "confirmed"
    assert event["payload"]["created_by_id"] is None
    assert event["payload"]["claim"]["statement"] == line["statement"]
    assert event["payload"]["claim"]["external_id"] == "wire-1"
    assert chain_ok(admin)
    # The ledger alone rebuilds the same claim: `as_of` after the import agrees with the projection.
    as_of = admin.get(f"/v1/claims/{claim['id']}", params={"as_of": "9999-12-31"}).json()
    assert {key: as_of[key] for key in claim} == claim


def test_reimporting_the_same_file_creates_nothing_and_says_so(api: Api, database: Database) -> None:
    admin = api.as_("admin")
    body = ndjson([minimal(1), minimal(2, external_id="x-2"), minimal(3, source="New Party", kind="other")])
    first = post_import(admin, body)
    assert first.json()["created"] == 3
    before = counts(database)
    second = post_import(admin, body)
    assert second.status_code == 200
    assert second.json() == {"created": 0, "unchanged": 3, "sources_created": 0, "documents_created": 0}
    assert counts(database) == before


def test_one_bad_line_rejects_the_batch_listing_every_bad_line(api: Api, database: Database) -> None:
    admin = api.as_("admin")
    before = counts(database)
    good = [
        minimal(1, source="Brand New Source", kind="ngo"),
        minimal(2, document={"url": "https://x.org/1", "title": "T"}),
    ]
    bad_lines = [
        b"this is not json",
        orjson.dumps(minimal(4, statement=42)),
        orjson.dumps(minimal(5, status="rumoured")),
        orjson.dumps(minimal(6, kind="militia", source="Somebody")),
        orjson.dumps({**minimal(7), "source": {"name": "Nobody Known"}}),
        orjson.dumps(minimal(8, external_id="dup")),
        orjson.dumps(minimal(9, external_id="dup")),
        b"[1, 2, 3]",
        orjson.dumps(minimal(11, places="Kharkiv")),
        b'{"statement": "cut off", "source": {"na',
    ]
    body = ndjson(good) + b"\n".join(bad_lines)
    response = post_import(admin, body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    reasons = {error["line"]: error["reason"] for error in problem["errors"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 9, 10, 11, 12]
    assert reasons[3].startswith("not JSON")
    assert "statement" in reasons[4]
    assert "status" in reasons[5] and "rumoured" in reasons[5]
    assert "source.kind" in reasons[6] and "militia" in reasons[6]
    assert "Nobody Known" in reasons[7] and "kind" in reasons[7]
    assert "repeats the one on line 8" in reasons[9]
    assert "JSON object" in reasons[10]
    assert "places" in reasons[11]
    assert reasons[12].startswith("truncated")
    assert problem["invalid_lines"] == 9
    assert counts(database) == before


def test_at_most_100_bad_lines_are_listed(api: Api, database: Database) -> None:
    before = counts(database)
    body = ndjson([minimal(number, channel="carrier pigeon") for number in range(150)])
    problem = post_import(api.as_("admin"), body).json()
    assert problem["invalid_lines"] == 150
    assert [error["line"] for error in problem["errors"]] == list(range(1, 101))
    assert counts(database) == before


@pytest.mark.parametrize("body", [b"", b"\n  \n\n"], ids=["empty", "blank-lines"])
def test_an_empty_file_is_refused(api: Api, database: Database, body: bytes) -> None:
    before = counts(database)
    response = post_import(api.as_("admin"), body)
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]
    assert counts(database) == before


def test_viewer_and_analyst_may_not_import(api: Api, database: Database) -> None:
    before = counts(database)
    for who in ("viewer", "analyst", "reviewer"):
        response = post_import(api.as_(who), ndjson([minimal(1)]))
        assert response.status_code == 403, who
        assert response.headers["content-type"] == "application/problem+json"
    assert counts(database) == before


def test_an_upload_over_the_configured_limit_is_413(
    settings: Settings, keys: dict[str, str], database: Database
) -> None:
    before = counts(database)
    limited = create_app(settings.model_copy(update={"max_import_bytes": 4 * 1024 * 1024}))
    line = ndjson([minimal(1)])
    fifty_megabytes = line * (50 * 1024 * 1024 // len(line) + 1)

    def in_pieces() -> Iterator[bytes]:
        for start in range(0, len(fifty_megabytes), 1024 * 1024):
            yield fifty_megabytes[start : start + 1024 * 1024]

    with TestClient(limited, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {keys['admin']}"
        declared = post_import(client, fifty_megabytes)
        streamed = client.post("/v1/import", content=in_pieces())
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
    assert counts(database) == before


# ---- round trip -----------------------------------------------------------------------------------------


def _strip_local(line: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in line.items() if key not in ("id", "created_at")}


@pytest.mark.slow
def test_ndjson_round_trips_through_an_empty_database(api: Api, other_admin: httpx.Client) -> None:
    analyst, reviewer = api.as_("analyst"), api.as_("reviewer")
    staff = make_source(analyst, name="General Staff of the Armed Forces of Ukraine", aliases=["General Staff"])
    shtupun = make_source(analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"])
    isw = make_source(analyst, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    upi = make_source(analyst, name="UPI", kind="media")
    report = make_document(analyst, title="Russia withdraws from Kharkiv, ISW says", outlet_id=upi["id"])
    first = make_claim(
        analyst,
        staff["id"],
        statement='Russians no longer conduct "active hostilities in the Kharkiv area".',
        quote="active hostilities in the Kharkiv area",
        speaker_id=shtupun["id"],
        document_id=report["id"],
        via=[isw["id"]],
        places=["Kharkiv", "Izium"],
        tags=["withdrawal"],
        stated_at_precision="hour",
        event_start="2022-05-13T00:00:00+00:00",
        language="en",
    )
    second = make_claim(analyst, isw["id"], document_id=report["id"], external_id="isw-2022-05-14")
    make_claim(analyst, isw["id"], stated_at="2022-05-13T00:00:00+00:00")
    assert move(reviewer, first, "under_review").status_code == 200
    assert move(reviewer, first, "disputed").status_code == 200
    assert move(reviewer, second, "retracted").status_code == 200
    assert amend(analyst, second, statement="Russia has likely decided to withdraw.").status_code == 200
    exported = export_lines(analyst)
    assert len(exported) == 3
    assert {line["external_id"] for line in exported} >= {first["id"], "isw-2022-05-14"}

    imported = post_import(other_admin, ndjson(exported))
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 3, "unchanged": 0, "sources_created": 3, "documents_created": 1}
    again = export_lines(other_admin)
    assert {line["external_id"]: _strip_local(line) for line in again} == {
        line["external_id"]: _strip_local(line) for line in exported
    }
    assert chain_ok(other_admin)
    assert post_import(other_admin, ndjson(exported)).json()["unchanged"] == 3
    # The importing database resolves speaker, via and document by name and URL, as records of its own.
    disputed = other_admin.get("/v1/claims", params={"status": "disputed"}).json()["items"][0]
    assert disputed["speaker"]["name"] == "Oleksandr Shtupun"
    assert [ref["name"] for ref in disputed["via"]] == ["Institute for the Study of War"]
    assert disputed["document"]["url"] == report["url"]


# ---- command line ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_imports_with_log_lines_and_exports(api: Api, database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "claims.ndjson"
    path.write_bytes(ndjson([minimal(number, status="disputed") for number in range(3)]))
    result = run(database_url, "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "3 created, 0 unchanged" in result.stdout
    # Not a terminal: plain log lines, one per finished phase at least.
    assert "checking: done, 3 rows" in result.stderr
    assert "writing: done, 3 rows" in result.stderr
    assert "\r" not in result.stderr
    again = run(database_url, "import", str(path))
    assert "0 created, 3 unchanged" in again.stdout
    exported = run(database_url, "export", "--format", "ndjson", "--status", "disputed")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 3
    assert len(api.as_("viewer").get("/v1/claims").json()["items"]) == 3

    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(ndjson([minimal(1)]) + b"{not json}\n")
    refused = run(database_url, "import", str(bad))
    assert refused.returncode == 2
    assert "line 2: not JSON" in refused.stderr


def test_progress_bar_on_a_terminal_shows_rate_and_eta() -> None:
    out = io.StringIO()
    progress = ProgressReporter(1000, out, interactive=True)
    progress("checking", 0, 0)
    progress.last_shown -= 1
    progress.started -= 1
    progress("checking", 400, 400)
    progress.close()
    shown = out.getvalue()
    assert shown.startswith("\rchecking")
    assert "rows/s" in shown and "ETA" in shown and "40.0%" in shown
    assert shown.endswith("\n")


def test_an_imported_claim_as_of_now_is_the_claim_as_it_stands(api: Api) -> None:
    """The as-of rebuild reads the payloads the one builder writes: an imported claim rebuilt from its
    `claim.imported` event equals its rows, every field set."""
    line = {
        **minimal(1, source="General Staff", kind="military"),
        "quote": "The enemy is withdrawing.",
        "speaker": {"name": "Oleksandr Shtupun", "kind": "individual"},
        "via": [{"name": "Suspilne", "kind": "media"}, {"name": "ISW", "kind": "think_tank"}],
        "document": {"url": "https://upi.example/2022/05/14", "title": "Kharkiv"},
        "channel_detail": "in its morning update",
        "stated_at_precision": "hour",
        "event_start": "2022-05-13T00:00:00+00:00",
        "event_end": "2022-05-14T00:00:00+00:00",
        "places": ["Kharkiv", "Ternova"],
        "tags": ["withdrawal"],
        "language": "en",
        "status": "confirmed",
        "status_changed_at": "2022-06-01T10:00:00+00:00",
        "external_id": "wire-as-of",
    }
    assert post_import(api.as_("admin"), ndjson([line])).status_code == 200
    viewer = api.as_("viewer")
    claim_id = viewer.get("/v1/claims", params={"source": "General Staff"}).json()["items"][0]["id"]
    now = viewer.get(f"/v1/claims/{claim_id}").json()
    rebuilt = viewer.get(f"/v1/claims/{claim_id}", params={"as_of": "2100-01-01"}).json()
    assert rebuilt == now
    assert now["via"] and now["speaker"] and now["document"] and now["places"] and now["verdict"]
    posted = make_claim(api.as_("analyst"), now["source"]["id"], places=["Izium"], tags=["front"], quote="q")
    posted.pop("similar")  # the post's suggestions, not part of the claim (tests/test_matching.py)
    assert viewer.get(f"/v1/claims/{posted['id']}", params={"as_of": "2100-01-01"}).json() == posted
