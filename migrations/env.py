"""Alembic environment: the models' metadata, the database from DATABASE_URL, batch mode on SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

import models
from api.database import normalise_url
from api.settings import get_settings
from models.base import include_in_autogenerate

config = context.config
target_metadata = models.Base.metadata


def run_with_connection(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # A caller (the CLI, the tests) may hand over an open connection; otherwise use DATABASE_URL.
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with_connection(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_engine(normalise_url(url), poolclass=pool.NullPool)
    with engine.connect() as new_connection:
        run_with_connection(new_connection)
    engine.dispose()


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    context.configure(url=str(normalise_url(url)), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
