"""/health answers without a key and tells whether the schema is current."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.database import Database
from tests.conftest import Api


def test_health_is_ok_on_a_migrated_database(api: Api, engine_name: str) -> None:
    response = api.anonymous().get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == engine_name


@pytest.mark.fresh_database
def test_health_is_503_when_not_at_head(api: Api, database: Database) -> None:
    with database.write_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    response = api.anonymous().get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "claimdb migrate" in response.json()["detail"]


def test_unknown_route_is_a_problem(api: Api) -> None:
    response = api.as_("viewer").get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_documents_the_routes(api: Api) -> None:
    document = api.anonymous().get("/openapi.json").json()
    assert "/v1/claims/{claim_id}/status" in document["paths"]
    assert "412" in document["paths"]["/v1/claims/{claim_id}/status"]["post"]["responses"]
