"""/health: is the database reachable and migrated? No key needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.database import Database, lsn_position
from api.errors import problem_response
from api.migrate import current_revision
from api.routes.common import problems

router = APIRouter(tags=["health"])


# No key is needed here, so no 401 or 429; a header with control characters is still a 422 (api/deps.py).
_HEALTH_PROBLEMS: dict[int | str, dict[str, Any]] = {code: problems(503)[code] for code in (422, 503)}


@router.get("/health", responses=_HEALTH_PROBLEMS)
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
    answer: dict[str, Any] = {"status": "ok", "database": database.dialect, "migration": revision}
    if database.replicas:
        answer["replicas"] = _replicas(database)
    return JSONResponse(answer)


def _replicas(database: Database) -> list[dict[str, Any]]:
    """Each replica: up or not, how far its replay is behind the primary's WAL (bytes) and since when (seconds).

    `replay_age_seconds` is the age of the last transaction it replayed: on a primary that writes nothing, it
    grows though the replica is caught up, which `lag_bytes` 0 then says.
    """
    with database.write_engine.connect() as connection:
        primary = lsn_position(connection.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar_one())
    described = []
    for replica in database.replicas:
        state = replica.state()
        replayed, age = state if state is not None else (None, None)
        if replayed is None:
            described.append({"name": replica.name, "up": False})
            continue
        described.append(
            {
                "name": replica.name,
                "up": True,
                "lag_bytes": max(0, primary - lsn_position(replayed)),
                "replay_age_seconds": round(age, 3) if age is not None else None,
            }
        )
    return described


@router.get("/health/live", responses={422: _HEALTH_PROBLEMS[422]})
def live() -> dict[str, str]:
    """The process answers; the database is not consulted (also the load benchmark's baseline)."""
    return {"status": "ok"}
