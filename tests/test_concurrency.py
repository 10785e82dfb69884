"""Optimistic concurrency: ETag on read, If-Match on change (428 without, 412 when stale), and races over real HTTP.

The race tests start `claimdb serve` as a subprocess on the test's database (SQLite file or PostgreSQL database),
so requests really run concurrently in the server's thread pool, and fire 20 identical changes at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.database import Database
from api.errors import PreconditionFailed
from api.services.claims import bump_version, describe
from tests.conftest import Api
from tests.factories import make_claim, make_source, move
from tests.server import ServerProcess

PROBLEM = "application/problem+json"
RACERS = 20


# ---- If-Match and ETag ---------------------------------------------------------------------------------------


def test_get_sends_the_version_as_etag(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    first = client.get(f"/v1/claims/{claim['id']}")
    assert first.headers["ETag"] == '"1"'
    assert move(client, claim, "under_review").headers["ETag"] == '"2"'
    assert client.get(f"/v1/claims/{claim['id']}").headers["ETag"] == '"2"'


def test_status_change_without_if_match_is_428(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    response = client.post(
        f"/v1/claims/{claim['id']}/status", json={"status": "under_review", "rationale": "opening a review"}
    )
    assert response.status_code == 428, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "If-Match" in response.json()["detail"]
    after = client.get(f"/v1/claims/{claim['id']}").json()
    assert (after["status"], after["version"]) == ("claimed", 1)


def test_status_change_with_stale_if_match_is_412_and_success_sends_new_etag(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    url = f"/v1/claims/{claim['id']}/status"
    moved = client.post(url, json={"status": "under_review", "rationale": "r"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] == '"2"'
    assert moved.json()["version"] == 2
    stale = api.as_("reviewer").post(url, json={"status": "disputed", "rationale": "r"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == PROBLEM
    assert stale.json()["current_version"] == 2
    assert client.get(f"/v1/claims/{claim['id']}").json()["status"] == "under_review"
    statuses = client.get("/v1/audit", params={"claim": claim["id"], "type": "claim.status_changed"})
    assert len(statuses.json()["items"]) == 1


def test_amendment_needs_a_current_if_match(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    url = f"/v1/claims/{claim['id']}"
    missing = client.patch(url, json={"statement": "Corrected."})
    assert missing.status_code == 428, missing.text
    assert missing.headers["content-type"] == PROBLEM
    amended = client.patch(url, json={"statement": "Corrected."}, headers={"If-Match": '"1"'})
    assert amended.status_code == 200, amended.text
    assert amended.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"statement": "Corrected twice."}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412, stale.text
    assert stale.headers["content-type"] == PROBLEM
    malformed = client.patch(url, json={"statement": "Corrected twice."}, headers={"If-Match": "yesterday"})
    assert malformed.status_code == 412, malformed.text
    assert client.get(url).json()["statement"] == "Corrected."
    amendments = client.get("/v1/audit", params={"claim": claim["id"], "type": "claim.amended"}).json()["items"]
    assert len(amendments) == 1


def test_evidence_moves_the_etag_on_so_a_judgement_made_before_it_is_stale(api: Api) -> None:
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    assert move(client, claim, "under_review").status_code == 200
    etag = client.get(f"/v1/claims/{claim['id']}").headers["ETag"]
    evidence = {"stance": "contradicts", "kind": "other", "note": "new footage"}
    assert client.post(f"/v1/claims/{claim['id']}/evidence", json=evidence).status_code == 201
    late = api.as_("reviewer").post(
        f"/v1/claims/{claim['id']}/status",
        json={"status": "disputed", "rationale": "judged before the footage"},
        headers={"If-Match": etag},
    )
    assert late.status_code == 412, late.text


def test_update_checks_the_version_in_its_where_clause(api: Api, database: Database) -> None:
    """A writer whose read of the version is already stale must still be refused by the UPDATE itself.

    Over HTTP the ledger lock, taken before the read, serialises writers, so the read check alone would
    pass every race above; this drives the service's update directly to pin the WHERE check (DESIGN §5).
    """
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"])
    assert move(client, claim, "under_review").status_code == 200
    with pytest.raises(PreconditionFailed), database.transaction() as session:
        bump_version(session, uuid.UUID(claim["id"]), 1, status="disputed")
    after = client.get(f"/v1/claims/{claim['id']}").json()
    assert (after["status"], after["version"]) == ("under_review", 2)


def test_a_read_sees_one_snapshot_across_its_statements(api: Api, database: Database) -> None:
    """A page is read in several statements (the claims, then their places, tags and intermediaries); an
    amendment committed between them must not show a claim's old wording beside its new places."""
    client = api.as_("analyst")
    claim = make_claim(client, make_source(client)["id"], places=["Kharkiv"])
    claim_id = uuid.UUID(claim["id"])
    with database.transaction(write=False) as session:
        before = describe(session, [claim_id])
        amended = client.patch(
            f"/v1/claims/{claim['id']}",
            json={"statement": "Russian forces are regrouping near Izium.", "places": ["Izium"]},
            headers={"If-Match": '"1"'},
        )
        assert amended.status_code == 200, amended.text
        assert describe(session, [claim_id]) == before
    with database.transaction(write=False) as session:
        (after,) = describe(session, [claim_id])
    after_places = [place["name"] for place in after["places"]]
    assert (after["statement"], after_places, after["version"]) == (amended.json()["statement"], ["Izium"], 2)


# ---- races over real HTTP ------------------------------------------------------------------------------------


def _race(
    make_request: Callable[[httpx.Client], httpx.Response], clients: list[httpx.Client]
) -> tuple[list[httpx.Response | BaseException], float]:
    """Run one request per client, all released at once by a barrier; returns the outcomes and the wall time."""
    barrier = threading.Barrier(len(clients) + 1)
    outcomes: list[httpx.Response | BaseException | None] = [None] * len(clients)

    def run(index: int, client: httpx.Client) -> None:
        barrier.wait()
        try:
            outcomes[index] = make_request(client)
        except BaseException as error:  # reported by the assertions, never swallowed
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(index, client)) for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=180)
    wall_time = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a racing request never returned"
    return [outcome for outcome in outcomes if outcome is not None], wall_time


def _checked_responses(
    outcomes: list[httpx.Response | BaseException],
    server: ServerProcess,
    label: str,
    wall_time: float,
    capsys: pytest.CaptureFixture[str],
) -> tuple[list[httpx.Response], Counter[int]]:
    """Every racer got an answer, none a 5xx or `database is locked`; prints the race's figures."""
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not failures, failures
    responses = [outcome for outcome in outcomes if isinstance(outcome, httpx.Response)]
    assert len(responses) == RACERS
    counts = Counter(response.status_code for response in responses)
    with capsys.disabled():
        print(f"\n{label}: {RACERS} concurrent requests in {wall_time * 1000:.0f} ms -> {dict(sorted(counts.items()))}")
    server_log = server.log.read_text()
    for response in responses:
        assert response.status_code < 500, (response.text, server_log[-4000:])
        assert "database is locked" not in response.text
    assert "database is locked" not in server_log, server_log[-4000:]
    assert "Traceback" not in server_log, server_log[-4000:]
    return responses, counts


def _assert_one_winner(
    outcomes: list[httpx.Response | BaseException],
    server: ServerProcess,
    label: str,
    wall_time: float,
    capsys: pytest.CaptureFixture[str],
) -> httpx.Response:
    responses, counts = _checked_responses(outcomes, server, label, wall_time, capsys)
    assert counts == {200: 1, 412: RACERS - 1}, counts
    for response in responses:
        if response.status_code == 412:
            assert response.headers["content-type"] == PROBLEM
    return next(response for response in responses if response.status_code == 200)


def _events(client: httpx.Client, claim_id: str, event_type: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params={"claim": claim_id, "type": event_type, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _last_seq(client: httpx.Client) -> int:
    """The ledger's last seq, read through the change feed."""
    seq = 0
    while True:
        items = client.get("/v1/audit", params={"since_seq": seq, "limit": 500}).json()["items"]
        if not items:
            return seq
        seq = items[-1]["seq"]


@pytest.mark.slow
def test_concurrent_status_changes_with_one_if_match_let_exactly_one_through(
    server: ServerProcess, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with server.client("analyst") as analyst, server.client("viewer") as viewer:
        source = make_source(analyst, name="General Staff of the Armed Forces of Ukraine")
        claim = make_claim(analyst, source["id"])
        assert move(analyst, claim, "under_review").status_code == 200
        etag = viewer.get(f"/v1/claims/{claim['id']}").headers["ETag"]
        assert etag == '"2"'
        status_events_before = len(_events(viewer, claim["id"], "claim.status_changed"))
        seq_before = _last_seq(viewer)

        clients = [server.client("reviewer" if index % 2 else "reviewer2") for index in range(RACERS)]
        try:
            outcomes, wall_time = _race(
                lambda client: client.post(
                    f"/v1/claims/{claim['id']}/status",
                    json={"status": "disputed", "rationale": "contested by other parties"},
                    headers={"If-Match": etag},
                ),
                clients,
            )
        finally:
            for client in clients:
                client.close()
        winner = _assert_one_winner(outcomes, server, f"{engine_name} status race", wall_time, capsys)

        assert winner.headers["ETag"] == '"3"'
        current = viewer.get(f"/v1/claims/{claim['id']}")
        assert (current.json()["status"], current.headers["ETag"]) == ("disputed", '"3"')
        assert len(_events(viewer, claim["id"], "claim.status_changed")) == status_events_before + 1
        assert _last_seq(viewer) == seq_before + 1
        verified = viewer.get("/v1/audit/verify").json()
        assert verified["ok"] is True, verified
        assert verified["events"] == seq_before + 1


@pytest.mark.slow
def test_concurrent_amendments_with_one_if_match_let_exactly_one_through(
    server: ServerProcess, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with server.client("analyst") as analyst, server.client("viewer") as viewer:
        source = make_source(analyst, name="Kharkiv Regional Military Administration", kind="official")
        claim = make_claim(analyst, source["id"], statement="Izium remains the hottest spot.")
        etag = viewer.get(f"/v1/claims/{claim['id']}").headers["ETag"]
        seq_before = _last_seq(viewer)

        clients = [server.client("analyst" if index % 2 else "analyst2") for index in range(RACERS)]
        wordings = iter(range(RACERS))
        lock = threading.Lock()

        def amend(client: httpx.Client) -> httpx.Response:
            with lock:
                number = next(wordings)
            return client.patch(
                f"/v1/claims/{claim['id']}",
                json={"statement": f"Izium remains the hottest spot (correction {number})."},
                headers={"If-Match": etag},
            )

        try:
            outcomes, wall_time = _race(amend, clients)
        finally:
            for client in clients:
                client.close()
        winner = _assert_one_winner(outcomes, server, f"{engine_name} amendment race", wall_time, capsys)

        assert winner.headers["ETag"] == '"2"'
        current = viewer.get(f"/v1/claims/{claim['id']}").json()
        assert current["statement"] == winner.json()["statement"]
        assert current["version"] == 2
        amendments = _events(viewer, claim["id"], "claim.amended")
        assert len(amendments) == 1
        assert amendments[0]["payload"]["before"]["statement"] == "Izium remains the hottest spot."
        assert amendments[0]["payload"]["after"]["statement"] == current["statement"]
        assert _last_seq(viewer) == seq_before + 1
        assert viewer.get("/v1/audit/verify").json()["ok"] is True


@pytest.mark.slow
def test_concurrent_repeats_of_one_idempotent_post_create_one_claim(
    server: ServerProcess, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with server.client("analyst") as analyst, server.client("viewer") as viewer:
        source = make_source(analyst, name="Government of Ukraine", kind="government")
        body = {
            "statement": "Kyiv negotiates evacuating 60 people from Azovstal.",
            "source_id": source["id"],
            "channel": "interview",
            "stated_at": "2022-05-14T10:00:00+00:00",
        }
        seq_before = _last_seq(viewer)
        clients = [server.client("analyst") for _ in range(RACERS)]
        try:
            outcomes, wall_time = _race(
                lambda client: client.post("/v1/claims", json=body, headers={"Idempotency-Key": "azovstal-1"}),
                clients,
            )
        finally:
            for client in clients:
                client.close()
        responses, counts = _checked_responses(
            outcomes, server, f"{engine_name} idempotent POST race", wall_time, capsys
        )
        assert counts == {201: RACERS}, counts
        assert len({response.json()["id"] for response in responses}) == 1
        assert len(viewer.get("/v1/claims").json()["items"]) == 1
        assert _last_seq(viewer) == seq_before + 1
        assert viewer.get("/v1/audit/verify").json()["ok"] is True
