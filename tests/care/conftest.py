"""What the customer-care tests share: a database of their own (the tier review lists every
department with customers, the campaign every active customer: both are exact only on a
database nobody else writes), a worker on it on the time-skipping server, and ``Accounts``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from config import Settings
from infra.bootstrap import Resources
from models.staff import Directory
from storage.migrate import upgrade
from tests.conftest import STAFF_FILE, running_worker
from tests.customers.accounts import Accounts


@dataclass
class Care:
    env: WorkflowEnvironment
    task_queue: str
    accounts: Accounts
    engine: AsyncEngine
    resources: Resources


@pytest_asyncio.fixture
async def care(
    time_env: WorkflowEnvironment, task_queue: str, directory: Directory, tmp_path: Path
) -> AsyncIterator[Care]:
    url = f"sqlite:///{tmp_path / 'care.db'}"
    upgrade(url)
    settings = Settings(database_url=url, task_queue=task_queue, staff_file=STAFF_FILE)
    async with Resources(settings) as res, running_worker(time_env.client, url, task_queue):
        accounts = Accounts(time_env.client, task_queue, directory, res.engine)
        try:
            yield Care(time_env, task_queue, accounts, res.engine, res)
        finally:
            await accounts.close()
