"""Group commit: the step writes of many workflows share one transaction.

Every activity that records a step hands a small function to the writer and awaits its
result. A single task per writer (one writer per process: the worker's ``Resources`` owns it)
drains whatever is waiting, runs the functions in one transaction on a worker thread and
commits once (should one of them fail, the batch is rolled back and each runs again in a
transaction of its own, so one refusal does not sink the others). SQLite then never has two
writers fighting over its lock (whose busy handler sleeps), and PostgreSQL pays one commit for
many steps. If the commit fails, every write of the batch fails, and Temporal retries each
activity with its backoff.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from sqlalchemy import bindparam, create_engine, delete, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.case import CaseEvent, Notification, StepWritten
from models.clock import ClockAccount
from storage import tables as t
from storage.engine import sync_url
from storage.outbox import DeliveryStart, Outbox

T = TypeVar("T")
Job = Callable[[Session], Any]

MAX_BATCH = 256

log = structlog.get_logger()


def _sync_engine(url: str) -> Engine:
    # hide_parameters: a failed write's message (an activity failure, stored in Temporal's
    # history in plain) never quotes the values it wrote
    engine = create_engine(sync_url(url), pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


class BatchWriter:
    def __init__(self, url: str) -> None:
        self.engine = _sync_engine(url)
        #: issue 17: the worker's outbox (storage/outbox.py); every step written through this
        #: writer writes its e-mails and webhook calls with it
        self.outbox: Outbox | None = None
        self._queues: dict[asyncio.AbstractEventLoop, asyncio.Queue[tuple[Job, asyncio.Future[Any]]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, job: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = asyncio.Queue()
            task = loop.create_task(self._drain(queue), name="batch-writer")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        future: asyncio.Future[T] = loop.create_future()
        queue.put_nowait((job, future))
        return await future

    async def _drain(self, queue: asyncio.Queue[tuple[Job, asyncio.Future[Any]]]) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < MAX_BATCH:
                batch.append(queue.get_nowait())
            live = [(job, fut) for job, fut in batch if not fut.done()]
            try:
                outcomes = await asyncio.to_thread(self._apply, [job for job, _ in live])
            except Exception as e:  # noqa: BLE001 - the commit failed: every write of the batch did
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for (_, fut), (ok, value) in zip(live, outcomes, strict=True):
                if fut.done():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

    def _apply(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        """All jobs in one transaction. Should one raise (rare: a refused write, a duplicate),
        the batch is rolled back and each job runs again in a transaction of its own, so the
        others still commit and that one gets its error."""
        try:
            with Session(self.engine, expire_on_commit=False) as db, db.begin():
                return [(True, job(db)) for job in jobs]
        except Exception:
            if len(jobs) == 1:
                raise
        out: list[tuple[bool, Any]] = []
        for job in jobs:
            try:
                with Session(self.engine, expire_on_commit=False) as db, db.begin():
                    out.append((True, job(db)))
            except Exception as e:  # noqa: BLE001 - handed back to the activity that asked
                out.append((False, e))
        return out

    async def aclose(self) -> None:
        """Stop draining and close the connections. Call it once nothing submits any more (the
        worker has stopped): a write still queued then fails instead of waiting for ever."""
        loop = asyncio.get_running_loop()
        mine = [task for task in self._tasks if task.get_loop() is loop]
        for task in mine:
            task.cancel()
        await asyncio.gather(*mine, return_exceptions=True)
        queue = self._queues.pop(loop, None)
        while queue is not None and not queue.empty():
            _, future = queue.get_nowait()
            if not future.done():
                future.set_exception(RuntimeError("the batch writer is closed"))
        self.dispose()

    def dispose(self) -> None:
        self.engine.dispose()


#: Statements built once: a step's write passes only its values at execution. A statement
#: built per call with ``.values(...)`` made SQLAlchemy coerce every value into a bound
#: parameter and compute a new cache key each time, about half the writer's CPU (measured in
#: BENCHMARKS.md).
_EVENTS = t.table(t.CaseEvent)
#: RETURNING says whether the row went in: a cursor's rowcount does not on PostgreSQL (psycopg
#: gives -1 for this INSERT, which read as "inserted" wrote a retried step's notifications
#: twice; tests/activities on PostgreSQL, issue 17).
_INSERT_EVENT = {
    "sqlite": sqlite.insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.id),
    "postgresql": postgresql.insert(_EVENTS).on_conflict_do_nothing().returning(_EVENTS.c.id),
}
_INSERT_NOTIFICATIONS = insert(t.table(t.Notification))


_CLOCKS = t.table(t.CaseClock)
_DROP_CLOCKS = delete(_CLOCKS).where(_CLOCKS.c.case_ref == bindparam("ref"))
_INSERT_CLOCKS = insert(_CLOCKS)


def record_clocks(db: Session, case_ref: str, seq: int, accounts: list[ClockAccount]) -> None:
    """Issue 14: the case's clock accounts as they are after step ``seq`` (the caller writes
    them with the projection, only for a step newer than the one it holds)."""
    db.execute(_DROP_CLOCKS, {"ref": case_ref})
    if not accounts:
        return
    db.execute(
        _INSERT_CLOCKS,
        [
            {
                "case_ref": case_ref,
                "n": n,
                "clock": a.clock,
                "started_at": a.started_at,
                "allowed_seconds": a.allowed.total_seconds(),
                "due_at": a.due_at,
                "outcome": a.outcome.value,
                "ended_at": a.ended_at,
                "fulfilled_at": a.fulfilled_at,
                "used_seconds": a.used.total_seconds() if a.used is not None else None,
                "lateness_seconds": a.lateness.total_seconds() if a.lateness is not None else None,
                "pauses": [p.model_dump(mode="json") for p in a.pauses],
                "warnings": [w.model_dump(mode="json") for w in a.warnings],
                "seq": seq,
            }
            for n, a in enumerate(accounts)
        ],
    )


def record_event(db: Session, case_ref: str, event_: Any, notifications: list[Any]) -> bool:
    """Insert a step's event and its notifications, unless the step is there already: the
    idempotency key of every step's write is (workflow id, seq), unique in the table, so a
    retry or a concurrent attempt inserts nothing. Returns whether it inserted. SQL Core, not
    the ORM: this runs for every step of every case, and the unit of work cost more than the
    SQL (measured in BENCHMARKS.md)."""
    stmt = _INSERT_EVENT["sqlite" if db.get_bind().dialect.name == "sqlite" else "postgresql"]
    inserted = db.execute(
        stmt,
        {
            "case_ref": case_ref,
            "seq": event_.seq,
            "kind": event_.kind,
            "actor_id": event_.actor_id,
            "at": event_.at,
            "data": event_.stored_data(),
        },
    ).first()
    if inserted is None:
        return False
    if notifications:
        db.execute(
            _INSERT_NOTIFICATIONS,
            [
                {
                    "case_ref": case_ref,
                    "seq": event_.seq,
                    "recipient_kind": n.recipient_kind,
                    "recipient_id": n.recipient_id,
                    "kind": n.kind,
                    "channel": n.channel,
                    "message": n.message,
                    "created_at": event_.at,
                }
                for n in notifications
            ],
        )
    return True


def _with_outbox(
    outbox: Outbox, job: Job, case_ref: str, event_: CaseEvent, notifications: list[Notification], db: Session
) -> tuple[bool, list[DeliveryStart]]:
    if job(db):
        return True, outbox.enqueue(db, case_ref, event_, notifications)
    return False, outbox.pending(db, case_ref, event_.seq)


async def write_step(
    writer: BatchWriter, case_ref: str, event_: CaseEvent, notifications: list[Notification], job: Job
) -> StepWritten:
    """One step's write (``job``: its statements, which start with ``record_event``) through
    the batch writer, all or nothing. Keyed by (case_ref, seq): a retry, or a replayed step,
    finds the event there and writes nothing; so does a concurrent attempt that committed
    first. Logs what it wrote; answers whether it wrote and when the write ended.

    With the writer's outbox active (issue 17), the step's e-mails and webhook calls are written
    in the same transaction and started once it committed; a write that finds the step there
    starts those still pending instead (the attempt that wrote them may have died before)."""
    outbox = writer.outbox
    starts: list[DeliveryStart] = []
    try:
        if outbox is not None and outbox.active:
            wrote, starts = await writer.submit(
                functools.partial(_with_outbox, outbox, job, case_ref, event_, notifications)
            )
        else:
            wrote = bool(await writer.submit(job))
    except IntegrityError:
        wrote = False  # a concurrent attempt of the same step committed first
    if starts and outbox is not None:
        await outbox.start(starts)
    if wrote:
        for n in notifications:
            to = n.recipient_id or n.recipient_kind
            log.info("notification", case=case_ref, seq=event_.seq, to=to, kind=n.kind, channel=n.channel)
        log.info("case_step", case=case_ref, seq=event_.seq, kind=event_.kind, actor=event_.actor_id)
    return StepWritten(wrote=wrote, at=datetime.now(UTC))
