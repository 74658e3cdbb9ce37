"""A worker for the mirror reference (bench/mirror.py), run as a process of its own.

It is set up as ours (worker.py) is: the same data converter (payloads encrypted with
PAYLOAD_KEY), the same sandbox runner, the same limits, the workflow module's bytecode written
at start-up, the heap settled. Its two local activities each run ONE plain SQL statement on the
database ours uses (DATABASE_URL): the look-up a SELECT, every commit an INSERT of a small row
into a table of its own, created here (not through Alembic). The statements run one at a time
on one connection, each its own transaction: SQLite takes one writer at a time, and writers
queued in Python do not sleep in SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
import compileall
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import structlog
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from temporalio import activity
from temporalio.worker import Worker

from bench.mirror import LOOKUP, RECORD, TABLE, MirrorLifecycleWorkflow, MirrorWrite
from config import ROOT, get_settings
from infra.logs import configure_logging
from infra.process import settle_heap
from infra.sandbox import workflow_runner
from infra.temporal import connect
from storage.engine import sync_url

log = structlog.get_logger()

metadata = MetaData()
WRITES = Table(
    TABLE,
    metadata,
    Column("case_ref", String(80), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
#: built once, as ours are (activities/complaint.py)
_INSERT = insert(WRITES)
_LOOKUP = select(func.count()).select_from(WRITES).where(WRITES.c.case_ref == bindparam("ref"))
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (case_ref VARCHAR(80) NOT NULL, seq INTEGER NOT NULL, "
    "kind VARCHAR(40) NOT NULL, at TIMESTAMP NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_case_ref ON {TABLE} (case_ref)",
)


def make_engine(url: str) -> Engine:
    engine = create_engine(sync_url(url), pool_size=1, max_overflow=0)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # as ours (storage/engine.py, storage/writer.py)
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


def create_table(engine: Engine) -> None:
    """The mirror's table (and an index for the look-up), at start-up, not through Alembic."""
    with engine.begin() as db:
        for statement in DDL:
            db.execute(text(statement))


class MirrorActivities:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror-db")

    def _count(self, case_ref: str) -> int:
        with self.engine.connect() as db:
            return db.execute(_LOOKUP, {"ref": case_ref}).scalar_one()

    def _insert(self, row: MirrorWrite) -> None:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
        with self.engine.begin() as db:
            db.execute(_INSERT, {"case_ref": row.case_ref, "seq": row.seq, "kind": row.kind, "at": at})

    @activity.defn(name=LOOKUP)
    async def lookup(self, case_ref: str) -> int:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self._count, case_ref)

    @activity.defn(name=RECORD)
    async def record(self, row: MirrorWrite) -> bool:
        await asyncio.get_running_loop().run_in_executor(self.executor, self._insert, row)
        return True


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    client = await connect(settings)
    engine = make_engine(settings.database_url)
    create_table(engine)
    # as infra.sandbox.compile_workflow_modules: the sandbox imports the workflow module afresh per run
    for path in (ROOT / "bench" / "__init__.py", ROOT / "bench" / "mirror.py"):
        compileall.compile_file(path, quiet=2)
    acts = MirrorActivities(engine)
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[MirrorLifecycleWorkflow],
        activities=[acts.lookup, acts.record],
        workflow_runner=workflow_runner(),
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
    )
    settle_heap(settings)
    log.info("mirror_worker_started", task_queue=settings.task_queue)
    try:
        await worker.run()
    finally:
        acts.executor.shutdown(wait=False)
        engine.dispose()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
