"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite: WAL, `busy_timeout`, foreign keys on. Writes run in `BEGIN IMMEDIATE` transactions on a
single writer connection per process, taken in turn from a pool of one: SQLite's own busy handler
serves waiters unfairly (DESIGN §5), while the pool queue is first come, first served. Between
processes (`serve --workers N`, the command line beside a server) the turn passes by a file lock
(`WriteTurnFile`), so SQLite's busy handler is never what makes a writer wait. Reads use their own
pool and a deferred `BEGIN`, so they never wait for a writer under WAL.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(database_url: str) -> URL:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs; leave others as given."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


# How much of the file a read connection maps into memory (`PRAGMA mmap_size`): a page is then read from the
# OS's page cache in place rather than copied into SQLite's own cache. A by-source page's statement took
# 0.88 ms CPU so, 1.09 without, at 200,000 claims (bench/README.md). The mapping is shared through the page
# cache, not a copy per connection; writes still go through the writer's ordinary I/O.
SQLITE_READ_MMAP_BYTES = 256 * 1024 * 1024


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, begin_statement: str, mmap_bytes: int = 0) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        if mmap_bytes:
            cursor.execute(f"PRAGMA mmap_size = {int(mmap_bytes)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: every request begins two transactions (its key's lookup and its own
        # work), and `exec_driver_sql` would run this one statement through the whole execution pipeline.
        connection.connection.driver_connection.execute(begin_statement)


class WriteTurnFile:
    """The write turn of a SQLite file across processes: an exclusive `flock` on `<database>-writer.lock`.

    SQLite's busy handler polls, sleeping in steps up to 100 ms, so with two processes writing a waiter
    often sleeps through the moment the lock is free and a writer that just committed wins again (write
    p99 of seconds). A blocked `flock` is woken by the kernel when the holder lets go, and each process
    asks with at most one writer at a time (its pool of one), so the turn alternates between processes
    that both want it. Taken when a write transaction begins, given back when its connection returns to
    the pool, after the commit or rollback.
    """

    def __init__(self, database_path: str) -> None:
        self.path = database_path + "-writer.lock"
        self._descriptor: int | None = None
        self._held = False
        self._guard = threading.Lock()

    def take(self) -> None:
        with self._guard:
            if self._descriptor is None:
                self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            descriptor = self._descriptor
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        self._held = True

    def give_back(self) -> None:
        if self._held and self._descriptor is not None:
            self._held = False
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._guard:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None
                self._held = False


def _take_turns_across_processes(engine: Engine, turn: WriteTurnFile) -> None:
    # Registered before the listener that sends BEGIN IMMEDIATE, so the turn is held first.
    @event.listens_for(engine, "begin")
    def take_the_write_turn(_connection: Any) -> None:
        turn.take()

    @event.listens_for(engine, "checkin")
    def give_back_the_write_turn(_dbapi_connection: Any, _record: Any) -> None:
        turn.give_back()


# How long a replica that failed to answer is skipped before it is tried again.
REPLICA_RETRY_SECONDS = 2.0
_REPLAYED = text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)")
_REPLICA_STATE = text(
    "SELECT pg_last_wal_replay_lsn()::text, extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8"
)


def lsn_position(lsn: str) -> int:
    """A PostgreSQL WAL position (`16/B374D848`) as a byte offset."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class Replica:
    """A PostgreSQL streaming standby that serves reads; skipped for a while after it fails to answer.

    Connections open with a short timeout and are checked by the question each read asks first (has it
    replayed the commit the client names?), so a replica that is down costs the read a failed connect
    once every `REPLICA_RETRY_SECONDS`, never an error.
    """

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.name = f"{self.url.host or 'localhost'}:{self.url.port or 5432}/{self.url.database}"
        engine = create_engine(
            self.url, pool_size=10, max_overflow=40, pool_use_lifo=True, connect_args={"connect_timeout": 2}
        )
        self.engine = engine.execution_options(isolation_level="REPEATABLE READ")
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._skip_until = 0.0

    def has_replayed(self, lsn: str | None) -> bool:
        """Whether the replica answers and has replayed the WAL up to `lsn` (up, when None)."""
        if time.monotonic() < self._skip_until:
            return False
        try:
            with self.engine.connect() as connection:
                return bool(connection.execute(_REPLAYED, {"lsn": lsn or "0/0"}).scalar())
        except SQLAlchemyError:
            self._skip_until = time.monotonic() + REPLICA_RETRY_SECONDS
            return False

    def state(self) -> tuple[str | None, float | None] | None:
        """Its replayed WAL position and the age of the last transaction it replayed; None when it is down."""
        try:
            with self.engine.connect() as connection:
                row = connection.execute(_REPLICA_STATE).one()
        except SQLAlchemyError:
            return None
        return row[0], row[1]


class Database:
    """The process's engines: one for reads and one for writes (one pool on PostgreSQL), and any read replicas."""

    def __init__(
        self,
        database_url: str,
        *,
        sqlite_busy_timeout_ms: int = 30_000,
        read_replica_urls: str = "",
        prepared_statements: bool = True,
    ) -> None:
        self.url = normalise_url(database_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.write_turn: WriteTurnFile | None = None
        if self.is_sqlite:
            connect_args = {"check_same_thread": False}
            self.write_engine = create_engine(
                self.url, connect_args=connect_args, pool_size=1, max_overflow=0, pool_timeout=60
            )
            path = self.url.database
            if path and path != ":memory:" and not path.startswith("file:"):
                self.write_turn = WriteTurnFile(os.path.abspath(path))
                _take_turns_across_processes(self.write_engine, self.write_turn)
            _configure_sqlite(self.write_engine, sqlite_busy_timeout_ms, "BEGIN IMMEDIATE")
            # Readers never block one another under WAL: a connection for every worker thread that may ask.
            self.read_engine = create_engine(self.url, connect_args=connect_args, pool_size=8, max_overflow=56)
            _configure_sqlite(self.read_engine, sqlite_busy_timeout_ms, "BEGIN", SQLITE_READ_MMAP_BYTES)
        else:
            # As many connections as worker threads (40), so a thread never waits for a connection held by
            # a thread that is itself waiting; writers queue for their turn before taking one.
            # Behind a transaction pooler a statement prepared on one server connection is missing on the next.
            pooled_args: dict[str, Any] = {} if prepared_statements else {"prepare_threshold": None}
            self.write_engine = create_engine(
                self.url, pool_size=10, max_overflow=40, pool_pre_ping=True, connect_args=pooled_args
            )
            # The same pool for reads (psycopg sets the level per checkout, without a round trip). A read sees
            # one snapshot across its statements, as SQLite's read transactions do: under PostgreSQL's default,
            # READ COMMITTED, a page's claims and their places could come from either side of an amendment.
            self.read_engine = self.write_engine.execution_options(isolation_level="REPEATABLE READ")
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        urls = [url.strip() for url in read_replica_urls.split(",") if url.strip()]
        if urls and self.is_sqlite:
            raise ValueError("read replicas (CLAIMDB_READ_REPLICA_URLS) need PostgreSQL as the database")
        self.replicas = [Replica(url) for url in urls]
        self._next_replica = 0

    def replicas_in_turn(self) -> list[Replica]:
        """The replicas, starting from the next in a round robin, so reads spread over them."""
        start = self._next_replica % len(self.replicas) if self.replicas else 0
        self._next_replica += 1
        return self.replicas[start:] + self.replicas[:start]

    def commit_lsn(self, session: Session) -> str | None:
        """The primary's WAL position after the session's commit (PostgreSQL), for read-your-writes on replicas."""
        if self.is_sqlite:
            return None
        return str(session.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one())

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def session(self, *, write: bool, replica: Replica | None = None) -> Session:
        if replica is not None and not write:
            return replica.sessions()
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error (used by the CLI and tests)."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.is_sqlite:
            self.read_engine.dispose()
        if self.write_turn is not None:
            self.write_turn.close()
        for replica in self.replicas:
            replica.engine.dispose()
