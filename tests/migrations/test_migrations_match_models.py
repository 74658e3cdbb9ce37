"""The migrations apply on both databases the system runs on (SQLite and PostgreSQL) and leave
exactly the schema the models describe: a fresh database upgraded to head, compared with
``storage.tables`` by Alembic's autogenerate, shows no difference (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from storage.engine import sync_url
from storage.migrate import upgrade
from storage.tables import Base
from tests.conftest import fresh_postgres_database, pg_admin


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    try:
        pg_admin("SELECT 1")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {e}")
    with fresh_postgres_database("migrations") as (_, url):
        yield url


def differences(url: str) -> list[Any]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_to_head_give_exactly_the_models(fresh_url: str) -> None:
    """A fresh database upgraded to head has every table of the models, and autogenerate finds
    nothing to add, drop or alter (tables, columns, types, nullability, indexes, keys)."""
    upgrade(fresh_url)
    engine = create_engine(sync_url(fresh_url))
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert differences(fresh_url) == []


def test_upgrading_twice_changes_nothing(fresh_url: str) -> None:
    """`make run` applies the migrations at every start: a second upgrade is a no-op."""
    upgrade(fresh_url)
    upgrade(fresh_url)
    assert differences(fresh_url) == []
