"""Keys: required on every /v1 route, stored only as hashes, revocable; roles nest."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.database import Database
from api.services.auth import revoke_key
from api.services.auth_throttle import AuthFailureLimiter
from api.settings import Settings
from models import ApiKey
from tests.conftest import Api


def test_every_v1_route_needs_a_key(api: Api) -> None:
    client = api.anonymous()
    operations = [
        (method.upper(), path)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/v1")
        for method in item
    ]
    assert len(operations) >= 15
    placeholder = "00000000-0000-0000-0000-000000000001"
    for method, path in operations:
        concrete = path.replace("{claim_id}", placeholder).replace("{source_id}", placeholder)
        concrete = concrete.replace("{document_id}", placeholder)
        response = client.request(method, concrete, json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"


def test_malformed_and_unknown_keys_are_401(api: Api) -> None:
    client = api.anonymous()
    for header in ["Bearer nonsense", "Bearer cdb_abc_def", "Basic dXNlcjpwYXNz", f"Bearer {api.keys['viewer']}x"]:
        response = client.get("/v1/sources", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_revoked_key_is_refused(api: Api, database: Database) -> None:
    assert api.as_("viewer").get("/v1/sources").status_code == 200
    prefix = api.keys["viewer"].split("_")[1]
    with database.transaction() as session:
        revoke_key(session, prefix)
    assert api.as_("viewer").get("/v1/sources").status_code == 401
    revoked = api.as_("admin").get("/v1/audit", params={"type": "key.revoked"}).json()["items"]
    assert revoked[0]["payload"]["prefix"] == prefix
    assert revoked[0]["actor"] is None


def test_keys_are_stored_only_as_hashes(api: Api, database: Database) -> None:
    with database.transaction(write=False) as session:
        stored = session.execute(select(ApiKey.prefix, ApiKey.secret_hash)).all()
    secrets = {key.split("_", 2)[2] for key in api.keys.values()}
    assert stored
    for prefix, secret_hash in stored:
        assert secret_hash not in secrets
        assert len(secret_hash) == 64
        assert prefix not in secrets
    assert all(len(secret) >= 22 for secret in secrets)  # at least 128 bits of urlsafe base64


def test_roles_nest(api: Api) -> None:
    body = {"name": "Suspilne", "kind": "media"}
    assert api.as_("viewer").post("/v1/sources", json=body).status_code == 403
    assert api.as_("analyst").post("/v1/sources", json=body).status_code == 201
    assert api.as_("reviewer").post("/v1/sources", json={**body, "name": "Other outlet"}).status_code == 201


# ---- refused keys, rate-limited per client address ------------------------------------------------


def _from(app: Any, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _wrong(number: int) -> dict[str, str]:
    return {"Authorization": f"Bearer cdb_{number:012x}_notthesecret"}


def test_refused_keys_are_rate_limited_per_address(api: Api) -> None:
    attacker = _from(api.client.app, "203.0.113.9")
    for number in range(20):  # CLAIMDB_AUTH_FAILURES_PER_MINUTE's default
        assert attacker.get("/v1/sources", headers=_wrong(number)).status_code == 401, number
    limited = attacker.get("/v1/sources", headers=_wrong(99))
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["status"] == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # While over the limit, even a good key from that address is refused: a lucky guess would look the same.
    good = {"Authorization": f"Bearer {api.keys['viewer']}"}
    assert attacker.get("/v1/sources", headers=good).status_code == 429
    assert attacker.post("/v1/sources", json={}, headers=good).status_code == 429
    # A request with no key guesses nothing: it is a plain 401, and not counted.
    assert attacker.get("/v1/sources").status_code == 401
    # A good key from another address is unaffected, and so are that address's own mistakes.
    neighbour = _from(api.client.app, "203.0.113.10")
    assert neighbour.get("/v1/sources", headers=good).status_code == 200
    assert neighbour.get("/v1/sources", headers=_wrong(1)).status_code == 401


def test_good_keys_are_never_counted(api: Api) -> None:
    client = _from(api.client.app, "203.0.113.11")
    good = {"Authorization": f"Bearer {api.keys['viewer']}"}
    for _ in range(60):
        assert client.get("/v1/sources", headers=good).status_code == 200
    assert client.get("/v1/sources", headers=_wrong(1)).status_code == 401


def test_the_limit_is_configurable(settings: Settings, keys: dict[str, str]) -> None:
    app = create_app(settings.model_copy(update={"auth_failures_per_minute": 3}))
    client = _from(app, "203.0.113.12")
    assert [client.get("/v1/sources", headers=_wrong(n)).status_code for n in range(4)] == [401, 401, 401, 429]


def test_ipv6_clients_are_counted_by_their_64_block(api: Api) -> None:
    for number in range(20):
        host = f"2001:db8:1:2::{number + 1:x}"  # a new address each time, all in one /64
        assert _from(api.client.app, host).get("/v1/sources", headers=_wrong(number)).status_code == 401
    assert _from(api.client.app, "2001:db8:1:2::ffff").get("/v1/sources", headers=_wrong(0)).status_code == 429
    good = {"Authorization": f"Bearer {api.keys['viewer']}"}
    assert _from(api.client.app, "2001:db8:1:3::1").get("/v1/sources", headers=good).status_code == 200


@pytest.mark.slow
def test_the_limiters_memory_is_bounded(settings: Settings, keys: dict[str, str]) -> None:
    app = create_app(settings)
    # A small table, so that a flood from many addresses fills it within the test.
    app.state.auth_limiter = AuthFailureLimiter(per_minute=2, tracked_addresses=50)
    good = {"Authorization": f"Bearer {keys['viewer']}"}
    early = _from(app, "192.0.2.1")
    assert early.get("/v1/sources", headers=_wrong(0)).status_code == 401
    for number in range(2, 302):
        address = f"10.{number // 256}.{number % 256}.1"
        assert _from(app, address).get("/v1/sources", headers=_wrong(number)).status_code in (401, 429)
    limiter = app.state.auth_limiter
    assert limiter.tracked == 50
    # The counters themselves: two per counted address at most (this window and the last), plus the shared one.
    assert len(limiter.limiter.storage.storage) <= 2 * 51
    # An address counted before the flood keeps its own count: one failure so far, so its good key works.
    assert early.get("/v1/sources", headers=good).status_code == 200
    # Newcomers beyond the table share one counter, which the flood has used up.
    assert _from(app, "192.0.2.200").get("/v1/sources", headers=good).status_code == 429
