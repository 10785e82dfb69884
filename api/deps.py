"""Request dependencies: the database session (one transaction per request), the settings, the actor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated

import anyio
from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from api.database import Database
from api.errors import PreconditionFailed
from api.services.auth import Principal, authenticate, require_role
from api.settings import Settings
from models.vocabulary import Role

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in a worker thread,
# and each such hop costs more than the work itself on a hot read path.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def take_turn(request: Request) -> AsyncIterator[None]:
    """Queue the request for its turn, in the event loop rather than in a worker thread.

    A changing request waits for the process's write turn: writes are serialised anyway (SQLite's single
    writer connection, PostgreSQL's ledger lock), and waiting here costs no worker thread, so a burst of
    writers cannot occupy every thread while the writer that holds the turn needs one to commit.

    A reading request waits for one of `read_concurrency` read turns. Python runs one thread at a time: with
    dozens of readers in threads at once, each stalls at every return from the database to win the
    interpreter lock back, and the writer holding the write turn stalls with them. Measured at 32 clients
    (bench/README.md), a few read turns served about twice the reads of forty threads.
    """
    gate: anyio.Lock | anyio.Semaphore = (
        request.app.state.read_gate if request.method in _SAFE_METHODS else request.app.state.write_gate
    )
    async with gate:
        yield


async def get_session(
    request: Request, _turn: Annotated[None, Depends(take_turn, scope="function")]
) -> AsyncIterator[Session]:
    """One session per request: committed once after the route returns and before the response is sent.

    Async on purpose: creating a session does no I/O (it connects on first use, in the route's worker
    thread), so only the commit or rollback and the close take a worker thread, in one hop. A plain `def`
    generator costs a hop on the way in and a heavier one on the way out. FastAPI shields this exit from
    cancellation, so a client that hangs up cannot leave a transaction open. Sessions in flight are bounded
    by the turns held around them, so the finishing hop never waits behind the threads it would free.
    """
    database: Database = request.app.state.database
    session = database.session(write=request.method not in _SAFE_METHODS)
    try:
        yield session
    except BaseException:
        await anyio.to_thread.run_sync(_finish, session, False)
        raise
    await anyio.to_thread.run_sync(_finish, session, True)


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only session beside the request's own: for authentication and for routes that write nothing."""
    database: Database = request.app.state.database
    session = database.session(write=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


# scope="function": the commit runs when the route returns, so a failed commit is never answered as a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> Principal:
    """The actor behind the bearer key.

    Looked up on a read connection of its own (no ORM session: this runs on every request), closed before
    the route's own work: no request holds two pooled connections at once (which could starve the pool).
    """
    token = None
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
    database: Database = request.app.state.database
    with database.read_engine.connect() as connection:
        return authenticate(connection, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _role_gate(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def gate(principal: PrincipalDep) -> Principal:
        require_role(principal, role, "This operation")
        return principal

    return gate


# An early gate on mutating routes, resolved before the body is parsed, so a key without the role gets a 403
# and learns nothing about what the input would have needed. The services check again: they are the rule.
AnalystDep = Annotated[Principal, Depends(_role_gate(Role.ANALYST))]
AdminDep = Annotated[Principal, Depends(_role_gate(Role.ADMIN))]


async def parse_if_match(
    if_match: Annotated[str | None, Header(description='The ETag from GET, e.g. "3".')] = None,
) -> int | None:
    """The version an `If-Match` header names; None when absent (the service decides if that is allowed)."""
    if if_match is None:
        return None
    value = if_match.strip()
    value = value.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionFailed(f"If-Match {if_match!r} names no version of this claim.")
    return int(value)


IfMatchDep = Annotated[int | None, Depends(parse_if_match)]


def etag(version: int) -> str:
    return f'"{version}"'
