"""Shared fixtures: a migrated SQLite database per session, the demo staff, the policy, and
the two real Temporal servers (time-skipping, and ``temporal server start-dev``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from config import ROOT, Settings
from infra.binaries import binary
from infra.bootstrap import Resources
from infra.codec import data_converter, new_payload_key
from models.policy import ComplaintPolicy
from models.staff import Directory
from storage.migrate import upgrade
from tests.steps import TEST_STEP_KEY, step_signer_for_tests
from worker import build_worker
from workflows import search_attributes as sa

STAFF_FILE = ROOT / "data" / "staff.json"


@asynccontextmanager
async def running_worker(
    client: Client, database_url: str, task_queue: str, staff_file: Path = STAFF_FILE, **settings_kw: Any
) -> AsyncIterator[Worker]:
    """A worker on ``task_queue`` over ``client`` and the migrated database, running until the
    block ends; its Resources (engine, batch writer, staff) are closed after it stopped.
    ``settings_kw``: further settings (the SMTP server, webhooks: tests/delivery)."""
    settings = Settings(database_url=database_url, task_queue=task_queue, staff_file=staff_file, **settings_kw)
    async with Resources(settings, client=client) as resources, build_worker(resources, client) as worker:
        yield worker


@asynccontextmanager
async def served_app(
    env: WorkflowEnvironment,
    database_url: str,
    task_queue: str,
    staff_file: Path = STAFF_FILE,
    settings_kw: dict[str, Any] | None = None,
    **app_kw: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A worker on ``task_queue`` and an httpx client over the real app (its lifespan run, which
    opens and closes the app's own Resources), against ``env``'s server and the migrated
    database; ``settings_kw``: further settings of both."""
    kw = settings_kw or {}
    app = create_app(
        Settings(database_url=database_url, task_queue=task_queue, staff_file=staff_file, **kw),
        client=env.client,
        **app_kw,
    )
    async with running_worker(env.client, database_url, task_queue, staff_file, **kw), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=60) as client:
            yield client, app


#: Every test server, client and worker of the session seals confidential fields with this key
#: (the same converter as production: infra.codec.data_converter).
TEST_PAYLOAD_KEY = new_payload_key("test-k1")
#: ... and proves the steps it sends with this one (infra/proofs.py): workers in this process
#: and the worker processes tests start read it from the environment, as Settings does.
os.environ["STEP_KEY"] = TEST_STEP_KEY


@pytest.fixture(scope="session")
def directory() -> Directory:
    return Directory.from_file(STAFF_FILE)


@pytest.fixture(scope="session")
def policy() -> ComplaintPolicy:
    return ComplaintPolicy()


#: ``TEST_DATABASE=postgresql`` runs the session on a fresh PostgreSQL database (``make test``
#: runs the API, workflow, customer and activity suites a second time so); else SQLite.
TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
#: The local PostgreSQL's maintenance database (trust auth), where test databases are made.
PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_admin(sql: str) -> None:
    """Run one statement on the local PostgreSQL's maintenance database (autocommit)."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_database_url(name: str) -> str:
    """The URL of database ``name`` on the server of PG_ADMIN."""
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[tuple[str, str]]:
    """A new, empty PostgreSQL database (name, url), dropped when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield name, pg_database_url(name)
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The session's migrated database: SQLite in a temporary directory, or with
    ``TEST_DATABASE=postgresql`` a fresh database on the local PostgreSQL (dropped at the end)."""
    if TEST_DATABASE in ("postgresql", "postgres", "pg"):
        try:
            pg_admin("SELECT 1")
        except Exception as e:  # noqa: BLE001
            pytest.fail(f"TEST_DATABASE=postgresql but no PostgreSQL answers at {PG_ADMIN}: {e}")
        with fresh_postgres_database("test_session") as (_, url):
            upgrade(url)
            yield url
        return
    if TEST_DATABASE != "sqlite":
        pytest.fail(f"TEST_DATABASE={TEST_DATABASE!r}: sqlite or postgresql")
    path: Path = tmp_path_factory.mktemp("db") / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    yield url


@pytest_asyncio.fixture(scope="session")
async def resources(database_url: str) -> AsyncIterator[Resources]:
    """The session's Resources over the migrated database (the tests' own engine and writer)."""
    async with Resources(Settings(database_url=database_url, staff_file=STAFF_FILE)) as res:
        yield res


@pytest.fixture(scope="session")
def engine(resources: Resources) -> AsyncEngine:
    return resources.engine


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with the project's search attributes registered."""
    async with time_skipping_env() as env:
        yield env


@asynccontextmanager
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of its own, search attributes registered, shut down at the
    end (tests/customers take one: what earlier tests left waiting on the session's server
    slowed its months-long skips past the server's own time-out)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=data_converter(key=TEST_PAYLOAD_KEY),
        interceptors=[step_signer_for_tests()],
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: k.indexed_value_type for k in sa.ALL},
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real ``temporal server start-dev`` (in memory), search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=data_converter(key=TEST_PAYLOAD_KEY),
        interceptors=[step_signer_for_tests()],
        dev_server_extra_args=sa.dev_server_args(),
        ui=False,
    )
    yield env
    await env.shutdown()


@pytest.fixture
def staff_file() -> Path:
    return STAFF_FILE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
