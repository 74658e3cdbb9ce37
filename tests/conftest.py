"""Shared fixtures: a migrated SQLite database per session, the demo staff, the policy, and
the two real Temporal servers (time-skipping, and ``temporal server start-dev``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from config import ROOT, binary
from models.policy import ComplaintPolicy
from models.staff import Directory
from storage.engine import make_engine
from storage.migrate import upgrade
from workflows import search_attributes as sa

STAFF_FILE = ROOT / "data" / "staff.json"


@pytest.fixture(scope="session")
def directory() -> Directory:
    return Directory.from_file(STAFF_FILE)


@pytest.fixture(scope="session")
def policy() -> ComplaintPolicy:
    return ComplaintPolicy()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "app.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with the project's search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: k.indexed_value_type for k in sa.ALL},
        )
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real ``temporal server start-dev`` (in memory), search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=pydantic_data_converter,
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
