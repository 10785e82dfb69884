"""Request dependencies: the database session (one transaction per request), the settings, the actor."""

from __future__ import annotations

import re
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import unquote_to_bytes

import anyio
from fastapi import Depends, Header, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api.database import Database, Replica, lsn_position
from api.errors import InvalidInput, PreconditionFailed, Unauthorized
from api.schemas.common import ascii_integer, text_problem
from api.services.auth import Principal, authenticate, require_role
from api.services.auth_throttle import AuthFailureLimiter
from api.settings import Settings
from models.vocabulary import Role

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# RFC 9110 §5.5: a field value holds no control character but horizontal tab (checked on the raw bytes).
_HEADER_CONTROLS = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_LONGEST_NAME_SHOWN = 100


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency in a worker thread,
# and each such hop costs more than the work itself on a hot read path.


# ---- the hygiene of every text a request carries ---------------------------------------------------


def _refuse(location: str, name: str, problem: str) -> InvalidInput:
    shown = name if len(name) <= _LONGEST_NAME_SHOWN else name[:_LONGEST_NAME_SHOWN] + "…"
    where = {"query": "query parameter", "header": "header", "form": "form field", "path": "path parameter"}
    return InvalidInput(
        f"The {where[location]} {shown!r} {problem}.",
        errors=[{"loc": [location, shown], "msg": problem, "type": "text_invalid"}],
    )


def _strict_pairs(raw: bytes, location: str) -> list[tuple[str, str]]:
    """`name=value&…` percent-decoded as UTF-8, refusing bytes that are not UTF-8 (422 naming the pair)."""
    pairs = []
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        name_bytes, _, value_bytes = chunk.partition(b"=")
        name_raw = unquote_to_bytes(name_bytes.replace(b"+", b" "))
        value_raw = unquote_to_bytes(value_bytes.replace(b"+", b" "))
        name = name_raw.decode("utf-8", errors="replace")
        try:
            pairs.append((name_raw.decode("utf-8"), value_raw.decode("utf-8")))
        except UnicodeDecodeError:
            raise _refuse(location, name, "is not valid UTF-8") from None
    return pairs


def _is_integer(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_integer(member) for member in get_args(annotation))
    if get_origin(annotation) is Annotated:
        return _is_integer(get_args(annotation)[0])
    return annotation is int


# Routes are not hashable; keyed by id, with the route kept so that its id is never reused while cached.
_DECLARED: dict[int, tuple[APIRoute, frozenset[str], frozenset[str]]] = {}


def _declared(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    """The route's integer query parameters and the headers it reads, by the names a client sends."""
    cached = _DECLARED.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1], cached[2]
    integers, headers = set(), set()
    for field in get_flat_params(route.dependant):
        location = getattr(field.field_info, "in_", None)
        if location is not None and location.value == "query" and _is_integer(field.field_info.annotation):
            integers.add(field.alias)
        elif location is not None and location.value == "header":
            headers.add(field.alias.lower())
    if len(_DECLARED) > 4096:  # apps built and dropped by a test run; a server has a few dozen routes
        _DECLARED.clear()
    _DECLARED[id(route)] = (route, frozenset(integers), frozenset(headers))
    return frozenset(integers), frozenset(headers)


async def read_form(request: Request) -> list[tuple[str, str]]:
    """A URL-encoded form body as (name, value) pairs, decoded strictly as UTF-8 (422 otherwise); read once."""
    cached: list[tuple[str, str]] | None = getattr(request.state, "form_pairs", None)
    if cached is not None:
        return cached
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs = _strict_pairs(await request.body(), "form") if media_type == FORM_MEDIA_TYPE else []
    request.state.form_pairs = pairs
    return pairs


async def check_request_text(request: Request) -> None:
    """One hygiene for every text a request carries, applied app-wide before anything else reads it.

    Query parameters, path parameters, headers and form fields get the rule JSON bodies get from
    `clean_text`: no control character (line breaks and tabs aside) and no lone surrogate, and UTF-8 that
    decodes. A text the database would refuse (PostgreSQL stores no NUL) is thus a 422 naming the parameter,
    never a 500 from the driver. Integer query parameters are ASCII digits only ("²" is a digit to Python).
    """
    for name, value in _strict_pairs(request.scope.get("query_string", b""), "query"):
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            raise _refuse("query", name, problem)
    for name, value in request.path_params.items():
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            raise _refuse("path", name, problem)
    route = request.scope.get("route")
    integers, declared_headers = _declared(route) if isinstance(route, APIRoute) else (frozenset(), frozenset())
    for raw_name, raw_value in request.scope["headers"]:
        name = raw_name.decode("latin-1")
        if _HEADER_CONTROLS.search(raw_name) or _HEADER_CONTROLS.search(raw_value):
            raise _refuse("header", name, "must not contain control characters")
        if name in declared_headers and (problem := text_problem(raw_value.decode("latin-1"))) is not None:
            raise _refuse("header", name, problem)
    for name in integers:
        for value in request.query_params.getlist(name):
            if ascii_integer(value) is None:
                raise _refuse("query", name, "must be a whole number written in ASCII digits (0-9)")
    for name, value in await read_form(request):
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            raise _refuse("form", name, problem)


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


# How often a read waiting for its commit asks the replicas again.
REPLICA_POLL_SECONDS = 0.005
_LSN = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")


# The desk's cookie session keeps the WAL position of the last write it made here (docs/scaling.md).
DESK_COMMIT_LSN = "commit_lsn"


def _desk_session(request: Request) -> dict[str, Any] | None:
    """The desk's cookie session: `api/web/middleware.py` gives one to page requests, and to nothing else."""
    session: dict[str, Any] | None = request.scope.get("session")
    return session


def _desk_position(desk: dict[str, Any] | None) -> str | None:
    value = desk.get(DESK_COMMIT_LSN) if desk is not None else None
    return value if isinstance(value, str) and _LSN.fullmatch(value) else None


def _later(first: str | None, second: str | None) -> str | None:
    """The later of two WAL positions, either of which may be absent."""
    if first is None or second is None:
        return first or second
    return first if lsn_position(first) >= lsn_position(second) else second


def _keep_in_desk_session(request: Request, database: Database, commit_lsn: str) -> None:
    """After a desk write, keep its commit position in the desk's session, so that the pages after it are read
    where it is visible. Only with replicas (without them every read sees every write, and the cookie stays as
    it was), and not into a session the write emptied (a sign-out: its cookie is cleared)."""
    desk = _desk_session(request)
    if desk and database.replicas:
        desk[DESK_COMMIT_LSN] = _later(commit_lsn, _desk_position(desk))


async def choose_replica(
    request: Request,
    read_after: Annotated[
        str | None,
        Header(
            alias="X-Claimdb-Read-After",
            max_length=17,
            description="A write's `X-Claimdb-Commit-LSN`: the answer is read where that write is visible.",
        ),
    ] = None,
) -> Replica | None:
    """The read replica to serve a reading request from, or None for the primary (docs/scaling.md).

    Without `X-Claimdb-Read-After`, the next replica that answers. With it, a replica that has replayed
    that WAL position, asked again every few milliseconds for at most `replica_wait_ms`; then the primary,
    which has it. A desk page reads after the last write its session made (`DESK_COMMIT_LSN`), as if it
    presented that position. Writes, and everything when no replica is configured, go to the primary.
    """
    if read_after is not None and not _LSN.fullmatch(read_after.strip()):
        raise InvalidInput(
            "X-Claimdb-Read-After must be a commit position as X-Claimdb-Commit-LSN gives it, e.g. 16/B374D848.",
            parameter="X-Claimdb-Read-After",
        )
    database: Database = request.app.state.database
    desk = _desk_session(request)
    if not database.replicas or request.method not in _SAFE_METHODS:
        return None
    if desk is None and not request.url.path.startswith("/v1/"):
        return None  # neither the API nor a desk page: /health, the docs
    lsn = _later(read_after.strip() if read_after is not None else None, _desk_position(desk))
    settings: Settings = request.app.state.settings
    deadline = time.monotonic() + settings.replica_wait_ms / 1000
    while True:
        for replica in database.replicas_in_turn():
            if await anyio.to_thread.run_sync(replica.has_replayed, lsn):
                request.state.served_by_replica = True
                return replica
        if lsn is None or time.monotonic() >= deadline:
            return None
        await anyio.sleep(REPLICA_POLL_SECONDS)


ReplicaDep = Annotated[Replica | None, Depends(choose_replica)]


async def get_session(
    request: Request, _turn: Annotated[None, Depends(take_turn, scope="function")], replica: ReplicaDep
) -> AsyncIterator[Session]:
    """One session per request: committed once after the route returns and before the response is sent.

    Async on purpose: creating a session does no I/O (it connects on first use, in the route's worker
    thread), so only the commit or rollback and the close take a worker thread, in one hop. A plain `def`
    generator costs a hop on the way in and a heavier one on the way out. FastAPI shields this exit from
    cancellation, so a client that hangs up cannot leave a transaction open. Sessions in flight are bounded
    by the turns held around them, so the finishing hop never waits behind the threads it would free.
    """
    database: Database = request.app.state.database
    write = request.method not in _SAFE_METHODS
    session = database.session(write=write, replica=replica)
    try:
        yield session
    except BaseException:
        await anyio.to_thread.run_sync(_finish, session, False)
        raise
    commit_lsn = await anyio.to_thread.run_sync(_finish, session, True, database if write else None)
    if commit_lsn is not None:
        request.state.commit_lsn = commit_lsn
        _keep_in_desk_session(request, database, commit_lsn)


def _finish(session: Session, commit: bool, tell_position_of: Database | None = None) -> str | None:
    """Commit or roll back, and close; after a write's commit, the primary's WAL position when asked."""
    try:
        if commit:
            session.commit()
            if tell_position_of is not None:
                return tell_position_of.commit_lsn(session)
        else:
            session.rollback()
        return None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_read_session(request: Request, replica: ReplicaDep) -> Iterator[Session]:
    """A read-only session beside the request's own: for routes that write nothing (on a replica, if any)."""
    database: Database = request.app.state.database
    session = database.session(write=False, replica=replica)
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
        return authenticate_counted(request, connection, token)


def authenticate_counted(request: Request, connection: Connection | Session, token: str | None) -> Principal:
    """`authenticate`, with refused keys counted against the client's address (429 past the limit).

    A request without a key guesses nothing and is not counted; an address over the limit is refused before
    its key is looked up, a good key included, so that a guess that hits is refused like the others.
    """
    limiter: AuthFailureLimiter = request.app.state.auth_limiter
    address = request.client.host if request.client else None
    if token:
        limiter.check(address)
    try:
        return authenticate(connection, token)
    except Unauthorized:
        if token:
            limiter.failed(address)
        raise


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
    version = ascii_integer(value.removeprefix("W/").strip('"'))
    if version is None:
        raise PreconditionFailed(f"If-Match {if_match!r} names no version of this claim.")
    return version


IfMatchDep = Annotated[int | None, Depends(parse_if_match)]


def etag(version: int) -> str:
    return f'"{version}"'
