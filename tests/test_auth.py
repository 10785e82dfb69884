"""Keys: required on every /v1 route, stored only as hashes, revocable; roles nest."""

from __future__ import annotations

from sqlalchemy import select

from api.database import Database
from api.services.auth import revoke_key
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
