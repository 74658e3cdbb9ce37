"""Customer accounts on the time-skipping server, for the CC tests: start one (as the API
would, with its proof), act on it by step, read its view, its events and its notifications."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from models.calendar import add_months
from models.customer.messages import CustomerCreate, TierCounts
from models.customer.steps import STEPS
from models.customer.views import CustomerView
from models.customer.vocabulary import CustomerStep
from models.policy import CustomerPolicy
from models.staff import Directory
from starter.intake import customer_input
from storage import tables as t
from workflows.customer import CustomerAccountWorkflow, customer_workflow_id

OWNER, SUPERVISOR, MANAGER = "cs-1", "cs-sup", "cs-mgr"


def create(**kw: Any) -> CustomerCreate:
    body: dict[str, Any] = {"name": f"Customer {uuid.uuid4().hex[:8]}", "owner_id": OWNER}
    return CustomerCreate.model_validate(body | kw)


class Accounts:
    """Starts accounts on one task queue; acts and reads by workflow id alone (a continue-as-new
    is followed); terminates every account at teardown (an account never ends by itself)."""

    def __init__(self, client: Client, task_queue: str, directory: Directory, engine: AsyncEngine) -> None:
        self.client, self.task_queue, self.directory, self.engine = client, task_queue, directory, engine
        self.ids: list[str] = []

    def handle(self, wid: str) -> WorkflowHandle[Any, CustomerView]:
        return self.client.get_workflow_handle(wid, result_type=CustomerView)

    async def open(
        self, body: CustomerCreate | None = None, *, policy: CustomerPolicy | None = None, history_limit: int = 2000
    ) -> tuple[str, CustomerView]:
        body = body or create()
        cid = uuid.uuid4().hex[:12]
        opener = self.directory.get(SUPERVISOR)
        assert opener is not None
        inp = customer_input(cid, body, opener, self.directory, policy or CustomerPolicy(), history_limit=history_limit)
        wid = customer_workflow_id(cid)
        await self.client.start_workflow(CustomerAccountWorkflow.run, inp, id=wid, task_queue=self.task_queue)
        self.ids.append(wid)
        view = await self.handle(wid).execute_update(CustomerAccountWorkflow.registered_customer)
        return wid, view

    def step_input(self, step: CustomerStep, actor: str, body: dict[str, Any], **extra: Any) -> Any:
        a = self.directory.get(actor)
        assert a is not None, actor
        return STEPS[step].input.model_validate({"actor": a.ref, "body": body} | extra)

    async def act(
        self, wid: str, step: CustomerStep, actor: str, body: dict[str, Any] | None = None, **extra: Any
    ) -> CustomerView:
        if step is CustomerStep.change_tier and "counts" not in extra:
            extra["counts"] = TierCounts(total=100, vip=0, preferred=0)
        if step is CustomerStep.reassign and "new_owner" not in extra:
            new = self.directory.get((body or {})["owner_id"])
            assert new is not None
            extra |= {"new_owner": new.ref, "new_owner_chain": self.directory.chain(new.id)}
        inp = self.step_input(step, actor, body or {}, **extra)
        return await self.handle(wid).execute_update(CustomerAccountWorkflow.update_for(step), inp)

    async def refused(
        self, wid: str, step: CustomerStep, actor: str, body: dict[str, Any] | None = None, *, error: str, **extra: Any
    ) -> str:
        """The update is refused by its validator with ``error`` and nothing is written."""
        before = await self.events(wid)
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await self.act(wid, step, actor, body, **extra)
        cause = err.value.cause
        assert isinstance(cause, ApplicationError), repr(cause)
        assert cause.type == error, f"{cause.type}: {cause.message}"
        assert await self.events(wid) == before
        return cause.message

    async def view(self, wid: str) -> CustomerView:
        return await self.handle(wid).query(CustomerAccountWorkflow.get_customer)

    async def wait_for(self, wid: str, pred: Callable[[CustomerView], bool], timeout: float = 10.0) -> CustomerView:
        end = time.monotonic() + timeout
        while True:
            view = await self.view(wid)
            if pred(view):
                return view
            assert time.monotonic() < end, view.model_dump_json(indent=1)
            await __import__("asyncio").sleep(0.05)

    async def events(self, wid: str) -> list[tuple[str, dict[str, Any]]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.CaseEvent.kind, t.CaseEvent.data).where(t.CaseEvent.case_ref == wid).order_by(t.CaseEvent.seq)
            )
            return [(r.kind, r.data) for r in rows]

    async def written(self, wid: str, kind: str) -> list[tuple[str | None, datetime, dict[str, Any]]]:
        """Each event of ``kind``: who (the actor), when, and its data."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.CaseEvent.actor_id, t.CaseEvent.at, t.CaseEvent.data)
                .where(t.CaseEvent.case_ref == wid, t.CaseEvent.kind == kind)
                .order_by(t.CaseEvent.seq)
            )
            return [(r.actor_id, r.at, r.data) for r in rows]

    async def kinds(self, wid: str) -> list[str]:
        return [k for k, _ in await self.events(wid)]

    async def notified(self, wid: str, kind: str) -> list[str]:
        """Who got a notification of ``kind`` from the account, in order."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(t.Notification.recipient_id)
                .where(t.Notification.case_ref == wid, t.Notification.kind == kind)
                .order_by(t.Notification.id)
            )
            return [r.recipient_id for r in rows]

    async def close(self) -> None:
        for wid in self.ids:
            try:
                await self.handle(wid).terminate("test over")
            except Exception:  # noqa: BLE001 - already gone
                pass


def at(view: CustomerView, clock: str) -> datetime:
    due = view.due.get(clock)  # type: ignore[call-overload]
    assert due is not None, f"{clock} does not run: {view.due}"
    return due


def months(t: datetime, n: int) -> datetime:
    """``t`` plus ``n`` calendar months on the company's clock (RULES.md), in UTC."""
    return add_months(t, n, CustomerPolicy().timezone).astimezone(UTC)
