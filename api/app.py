"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Depends, FastAPI

from api.database import Database
from api.deps import check_request_text
from api.docs import install_docs
from api.errors import PROBLEM_MEDIA_TYPE, install_error_handlers
from api.migrate import head_revision
from api.observability import BodyLimitMiddleware, RequestContextMiddleware
from api.routes import audit, claims, documents, exporting, extract, health, importing, matching, places, sources
from api.routes.common import problems
from api.security_headers import SecurityHeadersMiddleware
from api.services import transparency
from api.services.auth_throttle import AuthFailureLimiter
from api.settings import Settings, get_settings
from api.web import install_web

DESCRIPTION = """Who said what, where, when and through whom — kept apart from what was confirmed.

Every `/v1` route needs `Authorization: Bearer <API key>`. Errors are RFC 9457 `application/problem+json`.
"""


def _document_the_body_limit(app: FastAPI) -> None:
    """Add the body limit's 413 (api/observability.py) to every operation that takes a body, in one place.

    The limit applies to every route, so each operation with a body can answer 413; documenting it here keeps
    the routes from each having to remember it (and an undocumented status from reaching a client).
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        too_large = problems(413)[413]
        for item in document["paths"].values():
            for operation in item.values():
                if "requestBody" in operation and "413" not in operation["responses"]:
                    operation["responses"]["413"] = {
                        "description": too_large["description"],
                        "content": {
                            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
                        },
                    }
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = Database(
        settings.database_url,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        read_replica_urls=settings.read_replica_urls,
        prepared_statements=settings.postgres_prepared_statements,
    )
    log = transparency.Log.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as background:
            if log is not None:  # sign and witness checkpoints on a cadence (api/services/transparency.py)
                background.start_soon(transparency.keep_publishing, database, log, settings.checkpoint_interval_seconds)
            yield
            background.cancel_scope.cancel()
        database.dispose()

    app = FastAPI(
        title="claimdb",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Served by api/docs.py from vendored assets instead of FastAPI's CDN-loaded pages.
        docs_url=None,
        redoc_url=None,
        # Every route, the desk's pages included: query, path, header and form text checked in one place.
        dependencies=[Depends(check_request_text)],
    )
    app.add_middleware(
        BodyLimitMiddleware, limit=settings.max_body_bytes, path_limits={"/v1/import": settings.max_import_bytes}
    )
    app.add_middleware(RequestContextMiddleware)
    app.state.settings = settings
    app.state.database = database
    app.state.log = log
    app.state.write_gate = anyio.Lock()
    app.state.read_gate = anyio.Semaphore(settings.read_concurrency)
    app.state.head_revision = head_revision()
    app.state.auth_limiter = AuthFailureLimiter(settings.auth_failures_per_minute)
    install_error_handlers(app)

    # Each router straight into the app under /v1: FastAPI rebuilds every route at each include, and a /v1 router
    # included in turn made building the app take 86 ms instead of 11 (the test suite builds one per test).
    for module in (sources, documents, matching, claims, places, audit, importing, exporting, extract):
        app.include_router(module.router, prefix="/v1")
    app.include_router(health.router)
    _document_the_body_limit(app)
    install_docs(app)
    install_web(app, settings)
    # Outermost, so that every response gets them, the desk's and the middlewares' own refusals included.
    app.add_middleware(SecurityHeadersMiddleware)
    return app
