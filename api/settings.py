"""Settings from the environment: `CLAIMDB_*`, plus `DATABASE_URL`."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./claimdb.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMDB_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "CLAIMDB_DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs pagination cursors so a tampered cursor is refused; set it in production.
    secret_key: str = "claimdb-development-secret-change-me"  # noqa: S105 - a development default, documented
    # How long SQLite waits for a lock before giving up, in milliseconds.
    sqlite_busy_timeout_ms: int = 30_000
    log_level: str = "info"
    # Reading requests served at once per process; more wait their turn in the event loop. Python runs one
    # thread at a time, so beyond a few, reader threads only fight over the interpreter lock (bench/README.md).
    read_concurrency: int = Field(default=2, ge=1, le=64)
    # Whether `POST /v1/claims` answers `similar` (docs/matching.md); off, it answers `[]`. The match index is
    # written either way. bench/match_speed.py measures the post with and without it.
    similar_on_post: bool = True
    # The organisation named as author of ClaimReview exports.
    publisher_name: str = "claimdb"
    # Where this claimdb is reached publicly: stable claim URLs in exports are built from it.
    public_base_url: str = "http://127.0.0.1:8000"
    # Largest request body accepted (bytes); larger ones are refused with 413 before they are parsed.
    max_body_bytes: int = 1024 * 1024
    # How long a desk sign-in lasts (seconds) before the analyst must paste the key again.
    session_max_age_seconds: int = 12 * 60 * 60
    # Largest NDJSON body POST /v1/import accepts (bytes).
    max_import_bytes: int = 64 * 1024 * 1024
    # The transparency log (docs/transparency-log.md). Its origin line, which is also its key's name; by default
    # the public base URL without its scheme.
    log_origin: str | None = None
    # The checkpoint signing key (`claimdb log keygen FILE`), kept outside the database; no file, no checkpoints.
    log_key_file: str | None = None
    # The last signed checkpoint, outside the database too; by default the key file's path plus `.state`.
    log_state_file: str | None = None
    # Witnesses (tlog-witness submission prefixes) that cosign each new checkpoint, separated by spaces or commas.
    witness_urls: str = ""
    # How often a new checkpoint is signed (when the ledger grew) and pushed to the witnesses.
    checkpoint_interval_seconds: float = Field(default=60, gt=0)
    # Largest request line plus headers `serve` accepts (bytes); larger ones are answered 431 and cut off.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024)
    # Refused API keys allowed per client address in any minute (API and desk sign-in); past it, a 429.
    auth_failures_per_minute: int = Field(default=20, ge=1)
    # Whether psycopg prepares statements it runs often (PostgreSQL). Off behind PgBouncer in transaction
    # pooling before 1.21 (Debian 12's is 1.18): a statement prepared on one server connection is not on the next.
    postgres_prepared_statements: bool = True
    # PostgreSQL read replicas (streaming standbys of DATABASE_URL), comma-separated: reads go to them
    # (docs/scaling.md). A read that names a commit (X-Claimdb-Read-After) waits at most `replica_wait_ms` for a
    # replica that has replayed it, else the primary answers.
    read_replica_urls: str = ""
    replica_wait_ms: int = Field(default=200, ge=0, le=10_000)
    # Server processes behind `serve`'s one port: a whole number, or `auto` for the machine's cores
    # (docs/scaling.md says why the default is 1).
    workers: str = "1"

    @field_validator("workers")
    @classmethod
    def _check_workers(cls, value: str) -> str:
        worker_count(value)
        return value


def worker_count(value: str) -> int:
    """The number of server processes a `CLAIMDB_WORKERS` / `--workers` value asks for; ValueError if none."""
    value = value.strip().lower()
    if value == "auto":
        return os.cpu_count() or 1
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 64:
        raise ValueError(f"workers must be a whole number from 1 to 64, or auto; not {value!r}")
    return int(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()
