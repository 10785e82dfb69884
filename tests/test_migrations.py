"""The schema comes only from Alembic: up, down, up again, one head, and no drift from the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

import models
from api.database import normalise_url
from api.migrate import alembic_config, downgrade, head_revision, upgrade
from models.base import include_in_autogenerate, is_mapped_table


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return {name for name in inspect(engine).get_table_names() if is_mapped_table(name)} - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.fresh_database
def test_upgrade_downgrade_upgrade_round_trip(database_url: str) -> None:
    expected = set(models.Base.metadata.tables)
    assert _tables(database_url) == expected
    downgrade(database_url, "base")
    assert _tables(database_url) == set()
    upgrade(database_url, "head")
    assert _tables(database_url) == expected


def test_models_and_migrations_do_not_differ(database_url: str) -> None:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": include_in_autogenerate,
                },
            )
            differences = compare_metadata(context, models.Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert script.get_current_head() == head_revision()
