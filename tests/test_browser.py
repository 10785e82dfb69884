"""The analyst's desk in a real browser: Debian's Chromium, driven by Playwright, against `claimdb serve` on loopback.

One server on a SQLite copy of the migrated template, with the demo data (UPI's report of 14 May 2022) and
the suite's actors, serves every test of this module; each test opens its own browser context (its own
cookies) per actor. Screenshots of every page go to tests/screenshots/ (git-ignored; two are copied by hand to
docs/screenshots/ for the README).

These tests run on SQLite only: the pages' server-side behaviour is tested on both engines in test_web.py,
and a second server and browser run here would double the time for no new rule.

Chromium is /usr/bin/chromium (Debian's package; Playwright's own browser download is never used). Without it,
or without Playwright, the tests are skipped — unless CLAIMDB_REQUIRE_BROWSER=1 (as in CI), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.database import Database
from api.services import demo
from api.services.auth import create_key
from tests.conftest import ACTORS
from tests.factories import history_of
from tests.server import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("CLAIMDB_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.slow


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def desk_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    problem = _missing_browser()
    if problem:
        if REQUIRE_BROWSER:
            pytest.fail(f"CLAIMDB_REQUIRE_BROWSER=1 but {problem}")
        pytest.skip(problem)
    directory = tmp_path_factory.mktemp("desk")
    path = directory / "claimdb.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    database = Database(url)
    keys = {}
    with database.transaction() as session:
        for name, role in ACTORS.items():
            _actor, _key, secret = create_key(session, name, role)
            keys[name] = secret
        demo.issue_demo_keys(session)
        demo.load(session)
    database.dispose()
    server = ServerProcess(url, directory / "server.log", keys)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(desk_server: ServerProcess) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Desk:
    """One actor's browser context, signed in through the sign-in page."""

    def __init__(self, browser: Any, server: ServerProcess, who: str, **context: Any) -> None:
        self.server = server
        self.context = browser.new_context(base_url=server.base_url, **{"viewport": DESKTOP, **context})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.problems: list[str] = []
        # A blocked inline script or style, or a script error, is a failure of the page even if it still works.
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on(
            "console",
            lambda message: (
                self.problems.append(f"{message.text} at {message.location}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        if who:
            self.sign_in(server.keys[who])

    def sign_in(self, key: str) -> None:
        self.page.goto("/claims")
        assert "/signin" in self.page.url
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/claims")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def timeline(self) -> list[str]:
        return [" ".join(text.split()) for text in self.page.locator("#timeline .timeline-entry").all_inner_texts()]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_desk(browser: Any, desk_server: ServerProcess) -> Iterator[Callable[..., Desk]]:
    opened: list[Desk] = []

    def make(who: str, **context: Any) -> Desk:
        desk = Desk(browser, desk_server, who, **context)
        opened.append(desk)
        return desk

    yield make
    problems = [problem for desk in opened for problem in desk.problems]
    for desk in opened:
        desk.close()
    assert not problems, problems


def api(server: ServerProcess, who: str = "admin") -> httpx.Client:
    return server.client(who)


def claim_id_of(server: ServerProcess, statement_start: str) -> str:
    with api(server) as client:
        items = client.get("/v1/claims", params={"q": statement_start, "limit": 5}).json()["items"]
    return str(next(item["id"] for item in items if item["statement"].startswith(statement_start)))


# ---- the tests -------------------------------------------------------------------------------------


def test_sign_in_and_filter_claims_by_a_source_alias(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("")
    desk.page.goto("/claims")
    desk.shot("signin")
    desk.sign_in(desk.server.keys["analyst"])
    assert desk.page.get_by_text("Signed in as analyst").is_visible()
    desk.shot("claims")
    all_claims = desk.page.locator("#claim-results .claim-card").count()
    assert all_claims == 14
    # htmx updates the results in place: a value set on the page's window survives a filter change.
    desk.page.evaluate("window.beforeFilter = 'still here'")
    source = desk.page.get_by_label("Source (name or alias)")
    source.fill("Kharkiv R")
    # Type-ahead: the suggestions are replaced by the sources whose name or alias contains what was typed.
    desk.page.wait_for_function(
        "() => document.querySelectorAll('#source-options option').length === 2"
        " && document.querySelector('#source-options option[value=\"Kharkiv RMA\"]') !== null"
    )
    source.fill("ISW")
    source.press("Enter")
    desk.page.wait_for_url("**/claims?*source=ISW*")
    desk.page.wait_for_function("() => document.querySelectorAll('#claim-results .claim-card').length === 2")
    assert desk.page.evaluate("window.beforeFilter") == "still here"
    statements = desk.page.locator("#claim-results .claim-statement").all_inner_texts()
    assert sorted(statements) == [
        "The Russian military has likely decided to withdraw fully from its positions around Kharkiv.",
        "Ukraine appears to have won the Battle of Kharkiv.",
    ]
    # Claimed and corroborated read differently, in words.
    badges = desk.page.locator("#claim-results .claim-card .status").all_inner_texts()
    assert sorted(" ".join(badge.split()) for badge in badges) == ["+ Corroborated", "❝ Claimed"]
    desk.shot("claims-filtered")


def test_two_reviewers_move_a_claim_and_its_timeline_grows(open_desk: Callable[..., Desk]) -> None:
    first = open_desk("reviewer")
    second = open_desk("reviewer2")
    first.page.goto("/claims?q=hottest")
    first.page.get_by_role(
        "link", name="Izium remains the most intense area of fighting in the Kharkiv region."
    ).click()
    first.page.wait_for_url("**/claims/*")
    claim_url = first.page.url
    assert first.page.locator(".claim-status .status").inner_text().strip().endswith("Claimed")
    attribution = " ".join(first.page.locator(".attribution").inner_text().split())
    assert attribution.startswith(
        "United Press International reports that Kharkiv Regional Military Administration, through Oleh Synehubov "
        "(head), said on Telegram on 14 May 2022:"
    )
    assert len(first.timeline()) == 1

    first.page.get_by_label("New status").select_option("under_review")
    first.page.get_by_label("Rationale").fill("Checking against ISW's daily assessment.")
    first.page.get_by_role("button", name="Move status").click()
    first.page.wait_for_function("() => document.querySelectorAll('#timeline .timeline-entry').length === 2")
    assert "Under review" in first.page.locator(".claim-status .status").inner_text()

    first.page.locator("input[name=stance][value=supports]").check()
    first.page.get_by_label("Kind").select_option("document")
    first.page.get_by_label("Provided by (source name or alias)").fill("ISW")
    first.page.get_by_label("Link", exact=True).fill("https://example.org/isw-2022-05-14")
    first.page.get_by_label("Note").fill("ISW reports heavy fighting around Izium on the same day.")
    first.page.get_by_role("button", name="Add evidence").click()
    first.page.wait_for_function("() => document.querySelectorAll('#timeline .timeline-entry').length === 3")
    evidence = " ".join(first.page.locator("#evidence").inner_text().split())
    assert "Supports document from Institute for the Study of War" in evidence
    assert "independent of the claim's party" in evidence

    # The second reviewer corroborates it while the first still has the page open.
    second.page.goto(claim_url)
    second.page.get_by_label("New status").select_option("corroborated")
    second.page.get_by_label("Rationale").fill("ISW, another party, reports the same fighting.")
    second.page.get_by_role("button", name="Move status").click()
    second.page.wait_for_function("() => document.querySelectorAll('#timeline .timeline-entry').length === 4")

    # The first reviewer's form is now stale: the page says who changed what, instead of failing silently.
    first.page.get_by_label("New status").select_option("disputed")
    first.page.get_by_label("Rationale").fill("Synehubov's own later posts contradict this.")
    first.page.get_by_role("button", name="Move status").click()
    stale = first.page.locator(".alert-stale")
    stale.wait_for()
    stale_text = " ".join(stale.inner_text().split())
    assert "Someone else changed this claim" in stale_text
    assert "reviewer2 moved the status from … Under review to + Corroborated" in stale_text
    assert "ISW, another party, reports the same fighting." in stale_text
    assert first.page.get_by_label("Rationale").input_value() == "Synehubov's own later posts contradict this."
    first.shot("claim-stale")

    # Submitted again on purpose, it goes through.
    first.page.get_by_label("New status").select_option("disputed")
    first.page.get_by_role("button", name="Move status").click()
    first.page.wait_for_function("() => document.querySelectorAll('#timeline .timeline-entry').length === 5")
    timeline = first.timeline()
    assert timeline[0].startswith("demo-analyst recorded the claim as ❝ Claimed")
    assert timeline[1].startswith("reviewer moved the status from ❝ Claimed to … Under review")
    assert timeline[2].startswith("reviewer added evidence that supports it (document)")
    assert timeline[3].startswith("reviewer2 moved the status from … Under review to + Corroborated")
    assert timeline[4].startswith("reviewer moved the status from + Corroborated to ± Disputed")
    assert "Disputed" in first.page.locator(".claim-status .status").inner_text()
    first.page.evaluate("window.scrollTo(0, 0)")
    first.shot("claim-reviewed")

    # As of the moment it was recorded, it was only claimed.
    recorded_at = first.page.locator("#timeline .timeline-entry time").first.get_attribute("datetime")
    first.page.get_by_label("Show as it stood on").fill(recorded_at or "")
    first.page.get_by_role("button", name="Show", exact=True).click()
    first.page.wait_for_url("**as_of=*")
    assert first.page.locator(".claim-status .status").inner_text().strip().endswith("Claimed")
    assert "4 later events not shown" in first.page.locator("#timeline").inner_text()
    assert first.page.locator("form[action$='/status']").count() == 0
    first.shot("claim-as-of")


def test_post_a_claim_through_the_form(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("analyst")
    desk.page.get_by_role("link", name="Post a claim").click()
    desk.page.wait_for_url("**/claims/new")
    desk.page.get_by_label("Source: the party that made the claim").fill("Azov")
    desk.page.get_by_label("Channel", exact=True).select_option("telegram")
    desk.page.get_by_label("Stated at (UTC)").fill("2022-05-15T08:30")
    desk.page.get_by_label("Known to the", exact=True).select_option("hour")
    desk.page.get_by_label("Places").fill("Azovstal, Mariupol")
    desk.page.get_by_label("Tags").fill("siege")
    desk.page.get_by_role("button", name="Record the claim").click()
    # The API's own message, beside the field it is about; what was typed is kept.
    statement_errors = desk.page.locator("#statement-errors")
    statement_errors.wait_for()
    assert statement_errors.inner_text().strip() == "Field required"
    assert desk.page.get_by_label("Source: the party that made the claim").input_value() == "Azov"
    assert desk.page.get_by_label("Statement").get_attribute("aria-invalid") == "true"
    desk.shot("claim-new-errors")
    desk.page.get_by_label("Statement").fill("Russian forces stormed the Azovstal plant overnight.")
    desk.page.get_by_label("Verbatim quote (optional)").fill("the enemy stormed the plant")
    desk.page.get_by_role("button", name="Record the claim").click()
    desk.page.wait_for_url(re.compile(r".*/claims/[0-9a-f-]{36}$"))
    assert desk.page.locator("h1").inner_text() == "Russian forces stormed the Azovstal plant overnight."
    assert desk.page.locator(".claim-status .status").inner_text().strip().endswith("Claimed")
    facts = " ".join(desk.page.locator(".facts").inner_text().split())
    assert "Azov Regiment" in facts and "15 May 2022, 08:00–08:59 UTC (to the hour)" in facts
    assert desk.timeline()[0].startswith("analyst recorded the claim")
    desk.shot("claim-posted")


def test_a_viewer_is_refused(open_desk: Callable[..., Desk], desk_server: ServerProcess) -> None:
    desk = open_desk("viewer")
    claim_id = claim_id_of(desk_server, "Ukraine appears to have won")
    desk.page.goto(f"/claims/{claim_id}")
    assert desk.page.locator("h1").inner_text() == "Ukraine appears to have won the Battle of Kharkiv."
    assert desk.page.locator("form[method=post]").count() == 1  # sign-out only
    assert desk.page.get_by_role("link", name="Post a claim").count() == 0
    with api(desk_server) as client:
        before = history_of(client, claim_id)
    # A forged form, posted from the viewer's own session with its own valid CSRF token.
    desk.page.evaluate(
        """(claimId) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = `/claims/${claimId}/status`;
            const fields = {
                csrf_token: document.querySelector("input[name=csrf_token]").value,
                status: "under_review", rationale: "forged", version: "1",
            };
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        claim_id,
    )
    desk.page.wait_for_url(f"**/claims/{claim_id}/status")
    assert desk.page.locator("h1").inner_text() == "Forbidden"
    assert "needs the analyst role" in desk.page.locator("main").inner_text()
    desk.shot("viewer-refused")
    desk.page.goto("/claims/new")
    assert desk.page.locator("h1").inner_text() == "Forbidden"
    with api(desk_server) as client:
        assert history_of(client, claim_id) == before


def test_pages_read_without_javascript(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("viewer", java_script_enabled=False)
    desk.page.get_by_label("Source (name or alias)").fill("ZSU")
    desk.page.get_by_role("button", name="Show claims").click()
    desk.page.wait_for_url("**/claims?*source=ZSU*")
    assert desk.page.locator("#claim-results .claim-card").count() == 2
    desk.page.get_by_role("link", name="Russian forces are retreating from the city of Kharkiv.").click()
    desk.page.wait_for_url("**/claims/*")
    assert desk.page.locator(".claim-status .status").inner_text().strip().endswith("Claimed")
    desk.page.locator(".crumbs a").nth(1).click()
    desk.page.wait_for_url("**/sources/*")
    assert desk.page.locator("h1").inner_text() == "Armed Forces of Ukraine"
    assert desk.page.locator("svg.chart rect").count() == 8
    assert "General Staff of the Armed Forces of Ukraine" in desk.page.locator(".tree").inner_text()
    desk.shot("source")
    desk.page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    desk.page.get_by_label("Name or alias contains").fill("general staff")
    desk.page.get_by_role("button", name="Find").click()
    assert desk.page.locator("tbody tr").count() == 1
    desk.shot("sources")


def test_pages_fit_a_phone_and_the_keyboard_reaches_them(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("reviewer", viewport=PHONE)
    for path, name in (
        ("/claims", "claims-phone"),
        (f"/claims/{claim_id_of(desk.server, 'Kyiv is negotiating')}", "claim-phone"),
    ):
        desk.page.goto(path)
        assert desk.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        desk.shot(name)
    desk.page.goto("/claims")
    desk.page.keyboard.press("Tab")
    assert desk.page.evaluate("document.activeElement.textContent") == "Skip to content"
    desk.page.keyboard.press("Enter")
    desk.page.keyboard.press("Tab")
    assert desk.page.evaluate("document.activeElement.id") == "q"


def test_extract_claims_from_a_report_and_accept_one(open_desk: Callable[..., Desk]) -> None:
    desk = open_desk("analyst")
    desk.page.get_by_role("link", name="Extract from a report").click()
    desk.page.get_by_label("The report's text").fill(
        "Kyiv, May 14 (UPI) -- Ukrainian President Volodymyr Zelensky said on Saturday that Israel, Switzerland, "
        "Turkey and Finland are mediating talks on the Azovstal evacuation. The Azov Regiment said in a Telegram "
        'post that the situation at the plant remained "extremely critical".'
    )
    desk.page.get_by_label("Published on (optional)").fill("2022-05-14")
    desk.page.get_by_role("button", name="Propose claims").click()
    cards = desk.page.locator(".candidate")
    cards.first.wait_for()
    assert cards.count() >= 2
    desk.shot("extract")
    first = cards.first
    statement = first.locator(".claim-statement").inner_text()
    first.get_by_role("button", name="Accept").click()
    # The demo holds the mediation claim already: the card asks "already recorded?" instead of a bare repeat.
    panel = desk.page.locator("#candidate-0 .already-recorded")
    panel.wait_for()
    desk.shot("extract-already-recorded")
    panel.get_by_role("button", name="Record and link as duplicates").first.click()
    desk.page.wait_for_url(re.compile(r".*/claims/[0-9a-f-]{36}$"))
    assert desk.page.locator("h1").inner_text() == statement
    assert desk.page.get_by_text("duplicates", exact=False).count() >= 1


def test_api_docs_render_offline(open_desk: Callable[..., Desk]) -> None:
    """Swagger UI and ReDoc on a closed network: every request but the server's own is cut off."""
    desk = open_desk("")
    elsewhere: list[str] = []

    def only_the_server(route: Any) -> None:
        if route.request.url.startswith(desk.server.base_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    desk.context.route("**/*", only_the_server)
    desk.page.goto("/docs")
    desk.page.locator(".opblock-summary-path", has_text="/v1/claims/{claim_id}/status").first.wait_for()
    assert desk.page.locator(".opblock").count() >= 15
    desk.shot("docs")
    desk.page.goto("/redoc")
    desk.page.get_by_text("Record a claim with its attribution").first.wait_for()
    desk.shot("redoc")
    assert elsewhere == []
    # ReDoc's bundle hard-codes its maker's logo from a CDN in the menu's footer; the page's policy refuses it
    # before any request is made (it is not in `elsewhere`), and ReDoc then shows no image. Nothing else may be
    # refused, and nothing may fail.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    refused = [problem for problem in desk.problems if logo in problem]
    assert refused and all("Content Security Policy" in problem for problem in refused)
    desk.problems = [problem for problem in desk.problems if logo not in problem]
