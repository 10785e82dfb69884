"""/health: is the database reachable and migrated? No key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.database import Database
from api.errors import problem_response
from api.migrate import current_revision
from api.routes.common import problems

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: problems(503)[503]})
def health(request: Request) -> Any:
    """Ready when the database answers and its schema is at the latest migration."""
    database: Database = request.app.state.database
    expected: str | None = request.app.state.head_revision
    try:
        with database.read_engine.connect() as connection:
            revision = current_revision(connection)
    except SQLAlchemyError:
        return problem_response(503, "Service unavailable", "The database is unreachable.")
    if revision != expected:
        return problem_response(
            503,
            "Service unavailable",
            f"The database is at migration {revision}, not {expected}: run `claimdb migrate`.",
        )
    return JSONResponse({"status": "ok", "database": database.dialect, "migration": revision})


@router.get("/health/live")
def live() -> dict[str, str]:
    """The process answers; the database is not consulted (also the load benchmark's baseline)."""
    return {"status": "ok"}
