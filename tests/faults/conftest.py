"""Fixtures of the fault tests: real processes, real servers, real failures; nothing mocked.

``worker_process`` runs ``python worker.py`` as its own process (so it can be SIGKILLed) against
the session's ``temporal server start-dev``; ``api`` is the app in process with an in-process
worker, as in tests/api; ``postgres_url`` is a throwaway database on the local PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from config import ROOT
from storage.migrate import upgrade
from tests.conftest import served_app

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def phoned_in_complaint(directory: Any, policy: Any = None) -> Any:
    """The intake of a complaint phoned in to cs-1 by a named caller with a fresh phone number
    (so no other test's case makes it a repeat), under the seeds' policy unless told."""
    import secrets

    from models.complaint.messages import ComplaintCreate
    from models.policy import load_complaint_policy
    from starter.intake import intake_input, new_case_id

    receiver = directory.get("cs-1")
    assert receiver is not None
    body = ComplaintCreate.model_validate(
        {
            "channel": "phone",
            "complainant": {"name": "Han Meimei", "phone": f"+86 135{secrets.randbelow(10**8):08d}"},
            "target": {"kind": "service", "name": "delivery"},
            "summary": "Late delivery",
        }
    )
    return intake_input(new_case_id(), body, receiver, directory, policy or load_complaint_policy())


def project_application() -> Any:
    """An eligible application for a new-client project (ND-01), sales-1 implementing it, for
    a client nobody has applied for yet."""
    from models.project.messages import ProjectCreate

    return ProjectCreate.model_validate(
        {
            "client_name": f"Foundry {uuid.uuid4().hex[:8]}",
            "background": "Ball mill operator",
            "contact_channel": "trade fair",
            "approach": "plant visit",
            "product_line": "cast_ball",
            "expected_annual_business": "3500000",
            "implementer_ids": ["sales-1"],
        }
    )


try:  # the session seals confidential fields: a worker process needs the same key
    from tests.conftest import TEST_PAYLOAD_KEY
except ImportError:  # pragma: no cover - no key
    TEST_PAYLOAD_KEY = ""


@pytest.fixture(scope="module")
def task_queue() -> str:
    """One task queue per module (overrides the function-scoped one)."""
    return f"tq-faults-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def staff_file() -> Path:
    return ROOT / "data" / "staff.json"


def temporal_address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


WorkerFactory = Callable[[str], subprocess.Popen[bytes]]


@pytest.fixture
def worker_process(dev_env: WorkflowEnvironment, tmp_path: Path) -> Iterator[WorkerFactory]:
    """Start ``python worker.py`` for a database URL; every process started is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    task_queue = f"tq-proc-{uuid.uuid4().hex[:8]}"

    def start(database_url: str) -> subprocess.Popen[bytes]:
        env = os.environ | {
            "TEMPORAL_ADDRESS": temporal_address(dev_env),
            "DATABASE_URL": database_url,
            "TASK_QUEUE": task_queue,
            "PAYLOAD_KEY": TEST_PAYLOAD_KEY,
        }
        log = (tmp_path / f"worker-{len(started)}.log").open("ab")
        proc = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    start.task_queue = task_queue  # type: ignore[attr-defined]
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    return url


async def case_rows(url: str, case_ref: str, complaint_id: str) -> tuple[list[Any], list[Any], Any]:
    """What the database holds of one case: its events in order, its notifications, its row."""
    from sqlalchemy import select

    from storage import tables as t
    from storage.engine import make_engine, sessions

    engine = make_engine(url)
    try:
        async with sessions(engine)() as db:
            evs = list(
                await db.scalars(select(t.CaseEvent).where(t.CaseEvent.case_ref == case_ref).order_by(t.CaseEvent.seq))
            )
            notes = list(await db.scalars(select(t.Notification).where(t.Notification.case_ref == case_ref)))
            return evs, notes, await db.get(t.Complaint, complaint_id)
    finally:
        await engine.dispose()


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture
def postgres_db() -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL database, migrated: (name, url). Dropped at the end."""
    try:
        _pg_admin("SELECT 1")
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {e}")
    name = f"faults_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    yield name, url
    _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


def pg_block(name: str) -> None:
    """Make the database really unavailable: refuse new connections, end the open ones."""
    _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def pg_unblock(name: str) -> None:
    _pg_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest_asyncio.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, staff_file: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A worker on ``task_queue`` and an httpx client over the real app (lifespan run)."""
    async with served_app(dev_env, database_url, task_queue, staff_file) as (client, _):
        yield client
