"""The analyst's desk, server side, on both engines: sign-in, session cookie, CSRF, roles, CSP, and the pages.

Each desk user gets its own TestClient on the `api` fixture's app, so that its session cookie is its own; the
`/v1` API (through `api.as_`) sets up data and checks what the pages did.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api
from tests.factories import add_evidence, history_of, make_claim, make_document, make_source, move

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLAIM_LINK = re.compile(r'href="/claims/([0-9a-f-]{36})"')
STATIC = Path(__file__).parent.parent / "api" / "web" / "static"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def desk_client(api: Api, base_url: str = "http://testserver", **options: Any) -> TestClient:
    """A browser's view of the desk: its own cookies, and the `Origin` a browser sends with every form POST."""
    return TestClient(
        api.client.app, base_url=base_url, follow_redirects=False, headers={"Origin": base_url}, **options
    )


def token_of(client: TestClient, path: str = "/signin") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = CSRF.search(response.text)
    assert found is not None, response.text
    return found.group(1)


def sign_in(client: TestClient, key: str) -> Any:
    return client.post("/signin", data={"csrf_token": token_of(client), "api_key": key, "next": "/claims"})


def desk(api: Api, who: str) -> TestClient:
    client = desk_client(api)
    response = sign_in(client, api.keys[who])
    assert response.status_code == 303, response.text
    return client


def history_types(api: Api, claim_id: str) -> list[str]:
    return [event["type"] for event in history_of(api.as_("admin"), claim_id)]


def claim_count(api: Api) -> int:
    return len(api.as_("admin").get("/v1/claims", params={"limit": 500}).json()["items"])


# ---- signing in ------------------------------------------------------------------------------------


def test_pages_send_an_anonymous_reader_to_sign_in(api: Api) -> None:
    client = desk_client(api)
    response = client.get("/claims?place=Kharkiv")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fclaims%3Fplace%3DKharkiv"
    htmx = client.get("/claims", headers={"HX-Request": "true"})
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"].startswith("/signin")


def test_sign_in_keeps_the_key_in_a_strict_httponly_cookie_only(api: Api) -> None:
    client = desk_client(api)
    key = api.keys["analyst"]
    response = sign_in(client, key)
    assert response.status_code == 303
    assert response.headers["location"] == "/claims"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("claimdb_desk=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
    for path in ("/claims", "/sources", "/claims/new", "/extract"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert key not in page.text
        assert key.split("_", 2)[2] not in page.text
        assert "analyst" in page.text
    assert key not in response.headers["location"]


def test_session_cookie_is_secure_over_https(api: Api) -> None:
    client = desk_client(api, base_url="https://testserver")
    response = sign_in(client, api.keys["viewer"])
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_a_wrong_key_is_refused_on_the_sign_in_page(api: Api) -> None:
    client = desk_client(api)
    response = sign_in(client, api.keys["analyst"] + "x")
    assert response.status_code == 401
    assert "unknown or revoked" in response.text
    assert api.keys["analyst"] not in response.text
    assert client.get("/claims").status_code == 303


def test_sign_in_redirects_only_to_pages_of_the_desk(api: Api) -> None:
    client = desk_client(api)
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "/v1/claims", "/\\elsewhere.example"):
        response = client.post(
            "/signin", data={"csrf_token": token_of(client), "api_key": api.keys["viewer"], "next": target}
        )
        assert response.headers["location"] == "/claims", target
    response = client.post(
        "/signin", data={"csrf_token": token_of(client), "api_key": api.keys["viewer"], "next": "/sources?q=a"}
    )
    assert response.headers["location"] == "/sources?q=a"


def test_sign_out_clears_the_session(api: Api) -> None:
    client = desk(api, "analyst")
    response = client.post("/signout", data={"csrf_token": token_of(client, "/claims")})
    assert response.status_code == 303
    assert "expires=thu, 01 jan 1970" in response.headers["set-cookie"].lower()
    assert client.get("/claims").status_code == 303


def test_a_revoked_key_signs_the_desk_out(api: Api, database: Any) -> None:
    from api.services.auth import revoke_key

    client = desk(api, "analyst")
    assert client.get("/claims").status_code == 200
    with database.transaction() as session:
        revoke_key(session, api.keys["analyst"].split("_")[1])
    response = client.get("/claims")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def _cookie_payload(client: TestClient) -> dict[str, Any]:
    """What the signed session cookie carries (itsdangerous: base64 JSON, then a timestamp and a signature)."""
    value = client.cookies["claimdb_desk"]
    data = value.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))))


def _copy_of(api: Api, client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s session cookie (a stolen or backed-up cookie)."""
    thief = desk_client(api)
    thief.cookies.set("claimdb_desk", client.cookies["claimdb_desk"])
    return thief


def _desk_sessions(database: Any) -> list[Any]:
    from sqlalchemy import select

    from models import DeskSession

    with database.transaction() as session:
        return list(session.scalars(select(DeskSession)))


def test_the_cookie_holds_a_random_session_id_never_the_key(api: Api, database: Any) -> None:
    first = desk(api, "analyst")
    second = desk(api, "analyst")
    for client in (first, second):
        payload = _cookie_payload(client)
        assert set(payload) == {"desk_session", "csrf_token"}
        assert len(payload["desk_session"]) >= 43  # 256 random bits, URL-safe base64
        assert api.keys["analyst"] not in client.cookies["claimdb_desk"]
        assert api.keys["analyst"].split("_", 2)[2] not in json.dumps(payload)
    assert _cookie_payload(first)["desk_session"] != _cookie_payload(second)["desk_session"]
    stored = _desk_sessions(database)
    assert len(stored) == 2
    # The server keeps only a hash of the id: the table signs nobody in.
    ids = {_cookie_payload(client)["desk_session"] for client in (first, second)}
    assert {row.token_hash for row in stored} == {hashlib.sha256(value.encode()).hexdigest() for value in ids}


def test_a_copy_of_the_cookie_stops_working_at_sign_out(api: Api, database: Any) -> None:
    client = desk(api, "analyst")
    thief = _copy_of(api, client)
    assert thief.get("/claims").status_code == 200
    assert client.post("/signout", data={"csrf_token": token_of(client, "/claims")}).status_code == 303
    assert _desk_sessions(database) == []
    refused = thief.get("/claims")
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/signin")


def test_revoking_a_key_ends_its_sessions_and_no_other(api: Api, database: Any) -> None:
    from api.services.auth import revoke_key

    analyst = desk(api, "analyst")
    also_analyst = desk(api, "analyst")
    reviewer = desk(api, "reviewer")
    with database.transaction() as session:
        revoke_key(session, api.keys["analyst"].split("_")[1])
    assert len(_desk_sessions(database)) == 1
    for client in (analyst, also_analyst, _copy_of(api, analyst)):
        assert client.get("/claims").status_code == 303
    assert reviewer.get("/claims").status_code == 200


def test_sessions_expire(api: Api, database: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from models import DeskSession

    client = desk(api, "viewer")
    (row,) = _desk_sessions(database)
    lifetime = row.expires_at - row.created_at
    assert lifetime == timedelta(seconds=12 * 60 * 60)  # CLAIMDB_SESSION_MAX_AGE_SECONDS' default
    assert client.get("/claims").status_code == 200
    with database.transaction() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(DeskSession).values(expires_at=past))
    response = client.get("/claims")
    assert response.status_code == 303
    # The expired row goes at the next sign-in, so the table does not grow with abandoned sessions.
    desk(api, "viewer")
    assert len(_desk_sessions(database)) == 1


def test_session_lifetime_follows_the_setting(settings: Any, keys: dict[str, str], database: Any) -> None:
    from datetime import timedelta

    from api.app import create_app

    app = create_app(settings.model_copy(update={"session_max_age_seconds": 600}))
    with TestClient(app, follow_redirects=False, headers={"Origin": "http://testserver"}) as client:
        token = CSRF.search(client.get("/signin").text)
        assert token is not None
        response = client.post("/signin", data={"csrf_token": token.group(1), "api_key": keys["viewer"]})
        assert response.status_code == 303
        assert "max-age=600" in response.headers["set-cookie"].lower()
    (row,) = _desk_sessions(database)
    assert row.expires_at - row.created_at == timedelta(seconds=600)


def test_form_posts_from_another_origin_are_refused(api: Api) -> None:
    source = make_source(api.as_("analyst"), aliases=["GS"])
    client = desk(api, "analyst")
    token = token_of(client, "/claims/new")
    form = {
        "csrf_token": token,
        "statement": "Said.",
        "source": "GS",
        "channel": "statement",
        "stated_at": "2022-05-14",
    }
    before = claim_count(api)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "http://testserver:8080"},
        {"Origin": "", "Referer": "https://evil.example/claims/new"},
        {"Origin": ""},  # neither header: refused, as OWASP advises
    ):
        sent = {name: value for name, value in headers.items() if value}
        bare = TestClient(api.client.app, follow_redirects=False, headers=sent)
        bare.cookies.set("claimdb_desk", client.cookies["claimdb_desk"])
        response = bare.post("/claims/new", data=form)
        assert response.status_code == 403, headers
        assert "did not come from claimdb" in response.text
    assert claim_count(api) == before
    # A browser that sends only a Referer of the desk's own origin is accepted; so is the public base URL's origin.
    for headers in ({"Referer": "http://testserver/claims/new"}, {"Origin": "http://127.0.0.1:8000"}):
        own = TestClient(api.client.app, follow_redirects=False, headers=headers)
        own.cookies.set("claimdb_desk", client.cookies["claimdb_desk"])
        assert own.post("/claims/new", data={**form, "idempotency_key": str(headers)}).status_code == 303, headers
    assert claim_count(api) == before + 2
    assert source["id"]


def test_the_sign_in_form_checks_its_origin_too(api: Api) -> None:
    client = desk_client(api)
    token = token_of(client)
    foreign = TestClient(api.client.app, follow_redirects=False, headers={"Origin": "https://evil.example"})
    foreign.cookies.set("claimdb_desk", client.cookies["claimdb_desk"])
    response = foreign.post("/signin", data={"csrf_token": token, "api_key": api.keys["admin"]})
    assert response.status_code == 403
    assert "desk_session" not in json.dumps(_cookie_payload(foreign))


def test_wrong_keys_on_the_sign_in_page_are_rate_limited_per_address(api: Api) -> None:
    attacker = desk_client(api, client=("198.51.100.7", 40000))
    for attempt in range(20):
        response = sign_in(attacker, f"cdb_{attempt:012x}_wrong")
        assert response.status_code == 401, attempt
    # The moving window is exact: the 21st wrong key in a minute is refused whenever the minute starts.
    response = sign_in(attacker, "cdb_000000000099_wrong")
    assert response.status_code == 429
    limited = sign_in(attacker, api.keys["admin"])
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "Too many refused API keys" in limited.text
    assert "desk_session" not in json.dumps(_cookie_payload(attacker))
    # Another address signs in with a good key as usual.
    assert sign_in(desk_client(api, client=("198.51.100.8", 40000)), api.keys["admin"]).status_code == 303


# ---- CSRF, roles, headers --------------------------------------------------------------------------


def test_forms_without_the_session_csrf_token_are_refused(api: Api) -> None:
    source = make_source(api.as_("analyst"), aliases=["GS"])
    client = desk(api, "analyst")
    other = desk(api, "analyst2")
    form = {"statement": "Forged.", "source": "GS", "channel": "statement", "stated_at": "2022-05-14T09:00"}
    before = claim_count(api)
    for token in (None, "", "not-the-token", token_of(other, "/claims")):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        response = client.post("/claims/new", data=data)
        assert response.status_code == 403, token
        assert "CSRF" in response.text
    assert claim_count(api) == before
    assert source["id"]


def test_sign_in_itself_needs_the_csrf_token(api: Api) -> None:
    client = desk_client(api)
    response = client.post("/signin", data={"api_key": api.keys["admin"]})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers or "api_key" not in response.headers["set-cookie"]
    assert client.get("/claims").status_code == 303


def test_viewer_sees_no_mutation_forms(api: Api) -> None:
    source = make_source(api.as_("analyst"))
    claim = make_claim(api.as_("analyst"), source["id"])
    viewer = desk(api, "viewer")
    page = viewer.get(f"/claims/{claim['id']}")
    assert page.status_code == 200
    assert claim["statement"] in page.text
    assert 'method="post" action="/claims/' not in page.text
    assert "Move its status" not in page.text
    assert "Add evidence" not in page.text
    assert 'href="/claims/new"' not in viewer.get("/claims").text
    assert viewer.get("/claims/new").status_code == 403
    reviewer_page = desk(api, "reviewer").get(f"/claims/{claim['id']}").text
    assert f'action="/claims/{claim["id"]}/status"' in reviewer_page
    assert f'action="/claims/{claim["id"]}/evidence"' in reviewer_page


def test_forged_posts_from_a_viewers_session_are_refused(api: Api) -> None:
    source = make_source(api.as_("analyst"), aliases=["Forged Source"])
    claim = make_claim(api.as_("analyst"), source["id"])
    viewer = desk(api, "viewer")
    token = token_of(viewer, "/claims")
    attempts = {
        f"/claims/{claim['id']}/status": {"status": "under_review", "rationale": "forged", "version": "1"},
        f"/claims/{claim['id']}/evidence": {"stance": "supports", "kind": "other", "note": "forged"},
        f"/claims/{claim['id']}/links": {"kind": "duplicates", "to_claim": claim["id"]},
        "/claims/new": {
            "statement": "Forged.",
            "source": "Forged Source",
            "channel": "other",
            "stated_at": "2022-05-14",
        },
        "/extract/accept": {
            "statement": "Forged.",
            "source": "Forged Source",
            "channel": "other",
            "stated_at": "2022-05-14",
        },
    }
    before = claim_count(api)
    for path, form in attempts.items():
        response = viewer.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 403, (path, response.text)
        assert "needs the analyst role" in response.text
    assert history_types(api, claim["id"]) == ["claim.created"]
    assert claim_count(api) == before


def test_pages_forbid_inline_script_and_framing(api: Api) -> None:
    client = desk(api, "analyst")
    source = make_source(api.as_("analyst"))
    claim = make_claim(api.as_("analyst"), source["id"])
    for path in ("/signin", "/claims", f"/claims/{claim['id']}", f"/sources/{source['id']}", "/claims/new", "/extract"):
        response = client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts and all(" src=" in tag for tag in scripts), path
        assert " style=" not in response.text and "<style" not in response.text, path
        assert " on" not in "".join(re.findall(r"<[^>]+ on[a-z]+=", response.text)), path


def test_the_v1_api_is_untouched_by_the_desk_session(api: Api) -> None:
    client = desk(api, "admin")
    response = client.get("/v1/sources")
    assert response.status_code == 401  # the cookie is never a credential for the API
    assert "set-cookie" not in response.headers
    # The API's own policy (nothing may run or load), not the desk's.
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in response.headers["content-security-policy"]
    authorised = client.get("/v1/sources", headers={"Authorization": f"Bearer {api.keys['viewer']}"})
    assert authorised.status_code == 200
    assert "set-cookie" not in authorised.headers
    docs = api.anonymous().get("/docs")
    assert docs.status_code == 200
    assert "set-cookie" not in docs.headers
    assert "form-action 'self'" not in docs.headers["content-security-policy"]  # the docs' policy, not the desk's


def test_page_routes_stay_out_of_the_openapi_document(api: Api) -> None:
    paths = api.anonymous().get("/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/v1") and not path.startswith("/health")]


def test_vendored_htmx_is_the_pinned_release(api: Api) -> None:
    assert hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest() == HTMX_SHA256
    response = api.anonymous().get("/static/htmx.min.js")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == HTMX_SHA256


# ---- claims ----------------------------------------------------------------------------------------


def test_claim_list_filters_by_alias_and_pages_by_cursor(api: Api) -> None:
    analyst = api.as_("analyst")
    isw = make_source(analyst, name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    other = make_source(analyst)
    made = [make_claim(analyst, isw["id"], stated_at=f"2022-05-1{day}T09:00:00+00:00") for day in (1, 2, 3)]
    make_claim(analyst, other["id"])
    client = desk(api, "viewer")
    first = client.get("/claims", params={"source": "isw", "limit": "2"})
    assert first.status_code == 200
    assert CLAIM_LINK.findall(first.text) == [made[2]["id"], made[1]["id"]]
    next_link = html.unescape(re.search(r'<a href="([^"]+)" rel="next"', first.text).group(1))
    assert "source=isw" in next_link and "cursor=" in next_link
    second = client.get(next_link)
    assert CLAIM_LINK.findall(second.text) == [made[0]["id"]]
    assert 'rel="next"' not in second.text
    partial = client.get(
        "/claims", params={"source": "ISW"}, headers={"HX-Request": "true", "HX-Target": "claim-results"}
    )
    assert partial.text.lstrip().startswith('<section id="claim-results"')
    assert "<html" not in partial.text
    assert len(set(CLAIM_LINK.findall(partial.text))) == 3


def test_claim_list_shows_a_bad_filter_beside_its_field(api: Api) -> None:
    client = desk(api, "viewer")
    response = client.get("/claims", params={"source": "Nobody at all", "stated_from": "last week"})
    assert response.status_code == 422
    assert "is not a date (YYYY-MM-DD)" in response.text
    response = client.get("/claims", params={"source": "Nobody at all"})
    assert response.status_code == 422
    errors = re.search(r'<ul class="field-errors" id="source-errors">(.*?)</ul>', response.text, re.S)
    assert errors is not None and "no source has the id, name or alias" in html.unescape(errors.group(1))


def test_claimed_and_confirmed_are_told_apart_in_words(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    independent = make_source(analyst, name="Independent observer", kind="ngo")
    claimed = make_claim(analyst, source["id"], statement="Still only claimed.")
    confirmed = make_claim(analyst, source["id"], statement="Confirmed in the end.")
    add_evidence(analyst, confirmed, independent["id"])
    assert move(api.as_("reviewer"), confirmed, "under_review").status_code == 200
    assert move(api.as_("reviewer"), confirmed, "confirmed").status_code == 200
    page = desk(api, "viewer").get("/claims").text
    cards = re.findall(r'<article class="claim-card">(.*?)</article>', page, re.S)
    badges = {
        re.search(r'<a href="/claims/[^"]+">([^<]+)</a>', card).group(1): re.search(r"status-(\w+)", card).group(1)
        for card in cards
    }
    assert badges == {"Still only claimed.": "claimed", "Confirmed in the end.": "confirmed"}
    assert "Claimed</span>" in page and "Confirmed</span>" in page
    assert claimed["id"] in page


def test_claim_page_reads_the_attribution_chain_in_words(api: Api) -> None:
    analyst = api.as_("analyst")
    upi = make_source(analyst, name="United Press International", kind="media", aliases=["UPI"])
    isw = make_source(analyst, name="ISW", kind="think_tank")
    staff = make_source(analyst, name="General Staff", kind="military")
    spokesman = make_source(
        analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"], role="spokesman"
    )
    report = make_document(analyst, outlet_id=upi["id"], title="Russians retreating from Kharkiv")
    claim = make_claim(
        analyst,
        staff["id"],
        statement="Russian forces are leaving Kharkiv.",
        quote="no longer conducting active hostilities",
        speaker_id=spokesman["id"],
        via=[isw["id"]],
        document_id=report["id"],
        channel="update",
        channel_detail="in its morning update",
        stated_at="2022-05-14T00:00:00+00:00",
        stated_at_precision="day",
    )
    page = desk(api, "viewer").get(f"/claims/{claim['id']}").text
    sentence = re.sub(r"<[^>]+>", "", re.search(r'<p class="attribution">(.*?)</p>', page, re.S).group(1))
    sentence = " ".join(html.unescape(sentence).split())
    assert sentence.startswith(
        "United Press International reports that ISW said that General Staff, through Oleksandr Shtupun "
        "(spokesman), said in an update on 14 May 2022:"
    )
    assert "“no longer conducting active hostilities”" in html.unescape(page)
    assert "in its morning update" in page
    assert "(to the day)" in page


def test_claim_page_as_of_shows_the_claim_as_it_stood(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    claim = make_claim(analyst, source["id"])
    history = history_of(api.as_("admin"), claim["id"])
    created_at = history[0]["at"]
    assert move(api.as_("reviewer"), claim, "under_review").status_code == 200
    client = desk(api, "viewer")
    now = client.get(f"/claims/{claim['id']}").text
    assert re.search(r'class="claim-status"><span class="status status-under_review"', now)
    then = client.get(f"/claims/{claim['id']}", params={"as_of": created_at})
    assert then.status_code == 200
    assert re.search(r'class="claim-status"><span class="status status-claimed"', then.text)
    assert "as it stood on" in then.text
    assert "1 later event not shown" in then.text
    bad = client.get(f"/claims/{claim['id']}", params={"as_of": "yesterday"})
    assert "is not a date (YYYY-MM-DD)" in html.unescape(bad.text)


def test_status_form_moves_the_claim_and_a_stale_form_says_what_changed(api: Api) -> None:
    source = make_source(api.as_("analyst"))
    claim = make_claim(api.as_("analyst"), source["id"])
    first = desk(api, "reviewer")
    second = desk(api, "reviewer2")
    first_token = token_of(first, f"/claims/{claim['id']}")
    second_token = token_of(second, f"/claims/{claim['id']}")
    moved = first.post(
        f"/claims/{claim['id']}/status",
        data={"csrf_token": first_token, "status": "under_review", "rationale": "Checking imagery.", "version": "1"},
    )
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/claims/{claim['id']}"
    stale = second.post(
        f"/claims/{claim['id']}/status",
        data={
            "csrf_token": second_token,
            "status": "retracted",
            "rationale": "The source withdrew it.",
            "version": "1",
        },
    )
    assert stale.status_code == 412
    assert "Someone else changed this claim" in stale.text
    assert "Checking imagery." in stale.text  # what the other reviewer did, and why
    assert "The source withdrew it." in stale.text  # the reader's own rationale is kept in the form
    assert 'name="version" value="2"' in stale.text
    assert history_types(api, claim["id"]) == ["claim.created", "claim.status_changed"]


def test_status_form_shows_the_workflows_refusals(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    claim = make_claim(analyst, source["id"])
    reviewer = desk(api, "reviewer")
    token = token_of(reviewer, f"/claims/{claim['id']}")
    url = f"/claims/{claim['id']}/status"
    missing = reviewer.post(url, data={"csrf_token": token, "status": "under_review", "version": "1"})
    assert missing.status_code == 422
    assert "Field required" in missing.text
    assert (
        reviewer.post(
            url, data={"csrf_token": token, "status": "under_review", "rationale": "r", "version": "1"}
        ).status_code
        == 303
    )
    refused = reviewer.post(
        url, data={"csrf_token": token, "status": "confirmed", "rationale": "Sure.", "version": "2"}
    )
    assert refused.status_code == 409
    assert "needs a &#39;supports&#39; evidence item from a source outside the party" in refused.text


def test_evidence_form_records_evidence_with_its_provider(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    make_source(analyst, name="Maxar Technologies", kind="other", aliases=["Maxar"])
    claim = make_claim(analyst, source["id"])
    client = desk(api, "analyst2")
    token = token_of(client, f"/claims/{claim['id']}")
    response = client.post(
        f"/claims/{claim['id']}/evidence",
        data={
            "csrf_token": token,
            "stance": "supports",
            "kind": "imagery",
            "provided_by": "maxar",
            "url": "https://example.org/i",
        },
    )
    assert response.status_code == 303
    evidence = api.as_("admin").get(f"/v1/claims/{claim['id']}/evidence").json()
    assert evidence[0]["provided_by"]["name"] == "Maxar Technologies"
    assert evidence[0]["independent"] is True
    page = client.get(f"/claims/{claim['id']}").text
    assert "independent of the claim's party" in page
    wrong = client.post(
        f"/claims/{claim['id']}/evidence",
        data={"csrf_token": token, "stance": "supports", "kind": "imagery", "provided_by": "Nobody", "url": "ftp://x"},
    )
    assert wrong.status_code == 422
    assert "no source has the id, name or alias" in html.unescape(wrong.text)
    assert "String should match pattern" in html.unescape(wrong.text)


def test_post_form_records_a_claim_with_its_attribution(api: Api) -> None:
    analyst = api.as_("analyst")
    make_source(analyst, name="Government of Ukraine", kind="government", aliases=["Cabinet of Ministers"])
    make_source(analyst, name="Iryna Vereshchuk", kind="individual")
    make_source(analyst, name="Suspilne", kind="media")
    client = desk(api, "analyst")
    token = token_of(client, "/claims/new")
    form = {
        "csrf_token": token,
        "idempotency_key": "form-1",
        "statement": "Kyiv is negotiating the evacuation of 60 people from Azovstal.",
        "quote": "We are negotiating",
        "source": "cabinet of ministers",
        "speaker": "Iryna Vereshchuk",
        "via": "Suspilne",
        "channel": "interview",
        "channel_detail": "told Suspilne",
        "stated_at": "2022-05-14T10:30",
        "stated_at_precision": "hour",
        "document_title": "Ukraine: Russians retreating",
        "url": "https://example.org/upi",
        "places": "Azovstal, Mariupol",
        "tags": "evacuation",
        "language": "en",
    }
    response = client.post("/claims/new", data=form)
    assert response.status_code == 303
    claim_id = response.headers["location"].rsplit("/", 1)[1]
    claim = api.as_("admin").get(f"/v1/claims/{claim_id}").json()
    assert claim["source"]["name"] == "Government of Ukraine"
    assert claim["speaker"]["name"] == "Iryna Vereshchuk"
    assert [item["name"] for item in claim["via"]] == ["Suspilne"]
    assert claim["stated_at"] == "2022-05-14T10:30:00Z"
    assert [place["name"] for place in claim["places"]] == ["Azovstal", "Mariupol"]
    assert claim["document"]["url"] == "https://example.org/upi"
    assert claim["created_by"]["name"] == "analyst"
    assert claim["status"] == "claimed"
    again = client.post("/claims/new", data=form)  # a double submit: the same claim, not a second one
    assert again.headers["location"] == response.headers["location"]
    second = client.post("/claims/new", data={**form, "idempotency_key": "form-2", "statement": "Another claim."})
    assert second.status_code == 303
    other = api.as_("admin").get(second.headers["location"].replace("/claims/", "/v1/claims/")).json()
    assert other["document"]["id"] == claim["document"]["id"]  # the report, found by its URL, is reused


def test_post_form_shows_the_apis_messages_beside_the_fields(api: Api) -> None:
    before = claim_count(api)
    client = desk(api, "analyst")
    response = client.post(
        "/claims/new",
        data={
            "csrf_token": token_of(client, "/claims/new"),
            "statement": "",
            "source": "Nobody we know",
            "channel": "pigeon",
            "stated_at": "14 May",
            "url": "https://example.org/report-without-title",
        },
    )
    assert response.status_code == 422
    text = html.unescape(response.text)

    def errors_of(field: str) -> str:
        found = re.search(rf'<ul class="field-errors" id="{field}-errors">(.*?)</ul>', text, re.S)
        assert found is not None, field
        return found.group(1)

    assert "Field required" in errors_of("statement")
    assert "no source has the id, name or alias 'Nobody we know'" in errors_of("source")
    assert "Input should be 'statement'" in errors_of("channel")
    assert "Input should be a valid datetime" in errors_of("stated_at")
    assert "Field required" in errors_of("document_title")
    assert 'value="Nobody we know"' in text  # what was typed stays in the form
    assert 'aria-invalid="true"' in text
    assert claim_count(api) == before


def test_link_form_links_two_claims(api: Api) -> None:
    analyst = api.as_("analyst")
    source = make_source(analyst)
    first = make_claim(analyst, source["id"], statement="The first claim.")
    second = make_claim(analyst, source["id"], statement="The second claim.")
    client = desk(api, "analyst")
    response = client.post(
        f"/claims/{first['id']}/links",
        data={"csrf_token": token_of(client, "/claims"), "kind": "corroborates", "to_claim": second["id"]},
    )
    assert response.status_code == 303
    page = client.get(f"/claims/{second['id']}").text
    assert "Linked from a claim that <strong>corroborates</strong> this one" in page
    assert "The first claim." in page


# ---- sources and extraction ------------------------------------------------------------------------


def test_source_page_shows_tree_grade_scorecard_and_chart(api: Api) -> None:
    analyst = api.as_("analyst")
    staff = make_source(analyst, name="General Staff", kind="military")
    spokesman = make_source(
        analyst, name="Oleksandr Shtupun", kind="individual", parent_id=staff["id"], role="spokesman"
    )
    make_claim(analyst, staff["id"])
    make_claim(analyst, spokesman["id"])
    api.as_("admin").patch(f"/v1/sources/{staff['id']}", json={"reliability": "C"})
    client = desk(api, "viewer")
    page = client.get(f"/sources/{spokesman['id']}").text
    assert '<strong aria-current="page">Oleksandr Shtupun</strong>' in page
    assert f'<a href="/sources/{staff["id"]}">General Staff</a>' in page
    assert '<svg class="chart" role="img"' in page
    assert "Claimed: 1." in page
    with_children = client.get(f"/sources/{staff['id']}", params={"include_children": "true"}).text
    assert "Claimed: 2." in with_children
    assert "fairly reliable" in with_children
    options = client.get("/sources/suggest", params={"field": "source", "source": "shtu"}).text
    assert '<option value="Oleksandr Shtupun">' in options
    assert '<option value="General Staff">' not in options


def test_extract_page_proposes_claims_and_accepts_one(api: Api) -> None:
    make_source(api.as_("analyst"), name="Institute for the Study of War", kind="think_tank", aliases=["ISW"])
    client = desk(api, "analyst")
    text = (
        "Kyiv, May 14 (UPI) -- The Institute for the Study of War said on Friday that Russia has likely decided "
        "to withdraw fully from its positions around Kharkiv on Thursday."
    )
    proposed = client.post(
        "/extract",
        data={"csrf_token": token_of(client, "/extract"), "text": text, "published_at": "2022-05-14"},
    )
    assert proposed.status_code == 200
    forms = re.findall(r'<form method="post" action="/extract/accept".*?</form>', proposed.text, re.S)
    assert forms, proposed.text
    fields = {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', forms[0])}
    assert fields["source"] == "Institute for the Study of War"
    accepted = client.post("/extract/accept", data=fields, headers={"HX-Request": "true"})
    assert accepted.status_code == 200
    assert "Recorded." in accepted.text
    claim_id = CLAIM_LINK.search(accepted.text).group(1)
    claim = api.as_("admin").get(f"/v1/claims/{claim_id}").json()
    assert claim["source"]["name"] == "Institute for the Study of War"
    assert claim["stated_at"].startswith("2022-05-13")
    # The event's window the statement gives ("on Thursday"), to the minute the form keeps.
    assert (fields["event_start"], fields["event_end"], fields["event_precision"]) == (
        "2022-05-12T00:00",
        "2022-05-12T23:59",
        "day",
    )
    assert (claim["event_start"], claim["event_end"], claim["event_precision"]) == (
        "2022-05-12T00:00:00Z",
        "2022-05-12T23:59:00Z",
        "day",
    )
    viewer = desk(api, "viewer")
    assert viewer.get("/extract").status_code == 200  # extraction reads, as POST /v1/extract lets a viewer
    assert (
        "/extract/accept"
        not in viewer.post("/extract", data={"csrf_token": token_of(viewer, "/extract"), "text": text}).text
    )
