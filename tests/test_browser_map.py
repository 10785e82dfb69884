"""The desk's map in Chromium, with JavaScript on and off: the demo report's claims on the whole gazetteer,
drawn as server-side SVG. Screenshots go to tests/screenshots/ (map.png, map-region.png); the two in
docs/screenshots/ are copies of them. Skipped like tests/test_browser.py when Chromium or Playwright is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.database import Database
from api.services import demo, places
from api.services.auth import Principal, create_key
from api.services.places import gazetteer
from models.vocabulary import PlaceKind, Role
from tests.server import ServerProcess
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, REQUIRE_BROWSER, SCREENSHOTS, _missing_browser

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def map_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    problem = _missing_browser()
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(f"CLAIMDB_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    directory = tmp_path_factory.mktemp("map")
    path = directory / "claimdb.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    with database.transaction() as session:
        gazetteer.load(session)
        actor, _key, secret = create_key(session, "viewer", Role.ANALYST)
        mariupol = places.search_places(session, "Mariupol", PlaceKind.SETTLEMENT)[0]
        places.create_place(
            session, Principal(actor.id, actor.name, Role.ANALYST), name="Azovstal steel plant",
            kind=PlaceKind.FACILITY, aliases=["Azovstal"], lat=None, lon=None, parent_id=mariupol["id"],
        )  # fmt: skip
        demo.issue_demo_keys(session)
        demo.load(session)
    database.dispose()
    server = ServerProcess(url, directory / "server.log", {"viewer": secret})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(map_server: ServerProcess) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _signed_in(browser: Any, server: ServerProcess, **options: Any) -> Any:
    context = browser.new_context(base_url=server.base_url, viewport=DESKTOP, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/claims")
    page.get_by_label("API key").fill(server.keys["viewer"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/claims")
    return context, page


def test_the_map_draws_the_reports_claims_with_javascript_off(browser: Any, map_server: ServerProcess) -> None:
    context, page = _signed_in(browser, map_server, java_script_enabled=False)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if "Content Security" in message.text else None)
    page.get_by_role("link", name="Map").click()
    page.wait_for_url("**/map")
    svg = page.locator("svg.claim-map")
    assert svg.is_visible()
    markers = page.locator("svg.claim-map .markers a")
    assert markers.count() >= 12
    texts = page.locator("svg.claim-map .labels text").all_text_contents()
    labels = " ".join(texts)
    # One label a place, saying what its claims are ("Izium · 4 claims (3 claimed, 1 corroborated)").
    assert "Izium · " in labels and "Azovstal · " in labels and "claimed" in labels
    assert len(texts) == len(set(texts)), texts
    # Borders from the vendored Natural Earth extract: Ukraine and its neighbours.
    assert page.locator("svg.claim-map .borders path").count() >= 8
    assert page.locator("svg.timeline rect").count() >= 2
    page.screenshot(path=str(SCREENSHOTS / "map.png"), full_page=True)
    page.get_by_label("Region (name or code)").fill("Donetsk Oblast")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/map?*region=Donetsk*")
    region_labels = page.locator("svg.claim-map .labels text").all_text_contents()
    assert region_labels and all("Mariupol" in text or "Azovstal" in text for text in region_labels), region_labels
    page.screenshot(path=str(SCREENSHOTS / "map-region.png"), full_page=True)
    assert problems == []
    context.close()
