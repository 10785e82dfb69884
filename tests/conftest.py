"""Fixtures: every API test runs once on SQLite and once on PostgreSQL, each on a fresh migrated database.

The schema is built by Alembic once per engine into a template (a file for SQLite, a template database
for PostgreSQL) and copied for each test, which is much faster than migrating every time.

PostgreSQL comes from CLAIMDB_TEST_POSTGRES_URL (default: postgres on 127.0.0.1:5432). When it is
unreachable its tests are skipped, unless CLAIMDB_REQUIRE_POSTGRES=1 (as in CI), where they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

import models
from api.app import create_app
from api.database import Database
from api.migrate import upgrade
from api.services.auth import create_key
from api.settings import Settings
from models.vocabulary import Role
from tests.server import ServerProcess

POSTGRES_ADMIN_URL = os.environ.get(
    "CLAIMDB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("CLAIMDB_REQUIRE_POSTGRES") == "1"
ENGINES = ("sqlite", "postgresql")
_counter = itertools.count()


def _postgres_admin_engine() -> Any:
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _postgres_url(database: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    engine = _postgres_admin_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = f"claimdb_template_{os.getpid()}"
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_postgres_url(name))
    yield name
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_shared(postgres_template: str) -> Iterator[str]:
    """One migrated PostgreSQL database per test process, emptied before each test that uses it."""
    name = f"claimdb_test_{os.getpid()}"
    engine = _postgres_admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield _postgres_url(name)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _empty_postgres(url: str) -> None:
    """Remove every row, the ledger's included, as a superuser bypassing the append-only triggers.

    Creating a database per test from the template costs a checkpoint each time; emptying one is far
    cheaper. Tests that change the schema itself (drop a trigger, downgrade) ask for `fresh_database`.
    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files for 20 tables took 45 ms a test
    against DELETE's 9 ms.
    """
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SET session_replication_role = replica"))
            for table in reversed(models.Base.metadata.sorted_tables):
                connection.execute(text(f"DELETE FROM {table.name}"))
            connection.execute(text("SET session_replication_role = origin"))
    finally:
        engine.dispose()


@pytest.fixture
def database_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test: a copy of the template file on SQLite; on PostgreSQL the
    process's shared database emptied, or a new one from the template for tests marked `fresh_database`."""
    if engine_name == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "claimdb.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    if request.node.get_closest_marker("fresh_database") is None:
        shared: str = request.getfixturevalue("postgres_shared")
        _empty_postgres(shared)
        yield shared
        return
    with cloned_template(request, engine_name, tmp_path, "test") as url:
        yield url


@contextmanager
def cloned_template(request: pytest.FixtureRequest, engine_name: str, tmp_path: Path, label: str) -> Iterator[str]:
    """A new migrated database of its own: a copy of the template file, or a clone of the template database."""
    if engine_name == "sqlite":
        path = tmp_path / f"{label}.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"claimdb_{label}_{os.getpid()}_{next(_counter)}"
    engine = _postgres_admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield _postgres_url(name)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret")


@pytest.fixture
def app(settings: Settings) -> Any:
    return create_app(settings)


class Api:
    """HTTP clients of the test's app, one per named actor: `api.as_("reviewer").post(...)`.

    Each actor has a client of its own with its key in its own headers (and its own cookies), so a client held
    by one name can never act as another; `client` is the one that runs the app's lifespan.
    """

    def __init__(self, client: TestClient, keys: dict[str, str]) -> None:
        self.client = client
        self.keys = keys
        self._clients: dict[str | None, TestClient] = {}

    def _client_of(self, who: str | None) -> TestClient:
        found = self._clients.get(who)
        if found is None:
            headers = {"Authorization": f"Bearer {self.keys[who]}"} if who is not None else {}
            found = TestClient(self.client.app, headers=headers, raise_server_exceptions=False)
            self._clients[who] = found
        return found

    def as_(self, who: str) -> httpx.Client:
        return self._client_of(who)

    def anonymous(self) -> httpx.Client:
        return self._client_of(None)


# Two reviewers, so that four-eyes rules can be exercised; "reviewer" is the default reviewer.
ACTORS = {
    "viewer": Role.VIEWER,
    "analyst": Role.ANALYST,
    "analyst2": Role.ANALYST,
    "reviewer": Role.REVIEWER,
    "reviewer2": Role.REVIEWER,
    "admin": Role.ADMIN,
}


@pytest.fixture
def keys(database: Database) -> dict[str, str]:
    issued = {}
    with database.transaction() as session:
        for name, role in ACTORS.items():
            _actor, _key, secret = create_key(session, name, role)
            issued[name] = secret
    return issued


@pytest.fixture
def api(app: Any, keys: dict[str, str]) -> Iterator[Api]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, keys)


@pytest.fixture(params=[1, pytest.param(2, marks=pytest.mark.slow)], ids=["1-worker", "2-workers"])
def server_workers(request: pytest.FixtureRequest) -> int:
    """How many worker processes `server` runs: every race and crash test runs against one and against two."""
    return int(request.param)


@pytest.fixture
def server(database_url: str, keys: dict[str, str], tmp_path: Path, server_workers: int) -> Iterator[ServerProcess]:
    """`claimdb serve` in a subprocess on this test's database, healthy before the test starts."""
    process = ServerProcess(database_url, tmp_path / "server.log", keys, workers=server_workers)
    process.start()
    try:
        yield process
    finally:
        process.stop()
