"""CC-06 inquiries on the time-skipping server, with the real 24-hour deadline (skipped): an
inquiry answered at 23 hours is on time and escalates nothing; one left unanswered is warned
of at 12 and 19.2 hours and, at 24 hours, flagged late and escalated to the receiver's direct
leader (inbox rows for both); answered after that, it is answered late."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from infra.sandbox import workflow_runner
from models.inquiry.messages import AnswerBody, AnswerInput, AssignInput, InquiryAssignBody, InquiryCreate
from models.inquiry.views import InquiryView
from models.inquiry.vocabulary import InquiryStatus
from models.policy import InquiryPolicy
from models.staff import Directory
from starter.intake import INQUIRY, inquiry_input, start_case
from tests.conftest import running_worker
from tests.workflows.helpers import event_count, event_kinds, events, notifications, recipients
from worker import WORKFLOWS
from workflows.inquiry import InquiryWorkflow, inquiry_workflow_id

HOUR = timedelta(hours=1)


async def open_inquiry(env: WorkflowEnvironment, directory: Directory, task_queue: str) -> InquiryView:
    """An inquiry phoned in to cs-1 (leader cs-sup), under the seeds' 24 hours."""
    receiver = directory.get("cs-1")
    assert receiver is not None
    body = InquiryCreate.model_validate({"channel": "phone", "question": "Is the valve in stock?"})
    inp = inquiry_input(uuid.uuid4().hex[:12], body, receiver, directory, InquiryPolicy())
    assert inp.policy.inquiry_answer_deadline == 24 * HOUR
    return await start_case(env.client, task_queue, INQUIRY, inp)


def handle_of(env: WorkflowEnvironment, view: InquiryView) -> WorkflowHandle[Any, InquiryView]:
    return env.client.get_workflow_handle(inquiry_workflow_id(view.id), result_type=InquiryView)


def answer(directory: Directory, actor: str) -> AnswerInput:
    a = directory.get(actor)
    assert a is not None
    return AnswerInput(actor=a.ref, body=AnswerBody(answer="Yes, 40 in stock."))


async def until_event(engine: AsyncEngine, wid: str, kind: str, count: int = 1, timeout: float = 10.0) -> list[str]:
    end = time.monotonic() + timeout
    while (kinds := await event_kinds(engine, wid)).count(kind) < count:
        assert time.monotonic() < end, kinds
        await asyncio.sleep(0.05)
    return kinds


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_cc06_answered_at_23_hours_is_on_time_and_escalates_nothing(
    time_env: WorkflowEnvironment, engine: AsyncEngine, database_url: str, task_queue: str, directory: Directory
) -> None:
    async with running_worker(time_env.client, database_url, task_queue):
        view = await open_inquiry(time_env, directory, task_queue)
        wid = view.workflow_id
        assert view.status is InquiryStatus.open and view.due_at == view.received_at + 24 * HOUR
        await time_env.sleep(23 * HOUR)
        await until_event(engine, wid, "clock_warning", 2)
        done = await handle_of(time_env, view).execute_update(InquiryWorkflow.answer, answer(directory, "cs-1"))
        assert done.status is InquiryStatus.answered and done.answered_within_deadline is True and not done.late
        assert done.answered_at is not None and done.answered_at - done.received_at >= 23 * HOUR
        assert (await handle_of(time_env, view).result()).status is InquiryStatus.answered
    kinds = await event_kinds(engine, wid)
    assert kinds == ["inquiry_received", "clock_warning", "clock_warning", "answer"]
    assert "inquiry_escalated" not in {n.kind for n in await notifications(engine, wid)}


async def test_cc06_unanswered_at_24_hours_escalates_to_the_receivers_leader_then_answered_late(
    time_env: WorkflowEnvironment, engine: AsyncEngine, database_url: str, task_queue: str, directory: Directory
) -> None:
    async with running_worker(time_env.client, database_url, task_queue):
        view = await open_inquiry(time_env, directory, task_queue)
        wid, handle = view.workflow_id, handle_of(time_env, view)
        # warnings at 12 h and ~19.2 h (50 % and 80 %): the receiver, the last one their leader too
        await time_env.sleep(20 * HOUR)
        await until_event(engine, wid, "clock_warning", 2)
        warned = [e for e in await events(engine, wid) if e.kind == "clock_warning"]
        assert [at(e.data["warning_at"]) - view.received_at for e in warned] == [12 * HOUR, 19.2 * HOUR]
        assert recipients(await notifications(engine, wid, warned[0].seq)) == {"cs-1"}
        assert recipients(await notifications(engine, wid, warned[1].seq)) == {"cs-1", "cs-sup"}
        assert "inquiry_escalated" not in await event_kinds(engine, wid)

        # 24 h: late, escalated to cs-sup (the receiver's direct leader), still open
        await time_env.sleep(4 * HOUR + timedelta(minutes=1))
        await until_event(engine, wid, "inquiry_escalated")
        late = await handle.query(InquiryWorkflow.get_inquiry)
        assert late.late and late.escalated_to == "cs-sup" and late.status is InquiryStatus.open
        (escalated,) = [e for e in await events(engine, wid) if e.kind == "inquiry_escalated"]
        assert at(escalated.data["due_at"]) == view.received_at + 24 * HOUR
        rows = await notifications(engine, wid, escalated.seq)
        assert recipients(rows, "inquiry_escalated") == {"cs-1", "cs-sup"}

        # no second breach: a day more, nothing new
        before = await event_count(engine, wid)
        await time_env.sleep(24 * HOUR)
        await asyncio.sleep(0.3)
        assert await event_count(engine, wid) == before

        # a stranger may not answer; the leader may, late
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(InquiryWorkflow.answer, answer(directory, "ops-1"))
        assert isinstance(err.value.cause, ApplicationError) and err.value.cause.type == "Forbidden"
        done = await handle.execute_update(InquiryWorkflow.answer, answer(directory, "cs-sup"))
        assert done.status is InquiryStatus.answered and done.answered_within_deadline is False and done.late
        # answered: the run is over (the API refuses a further step with 409, tests/api)
        assert (await handle.result()).answered_by == "cs-sup"
        # its history (warnings, the escalation, the late answer) replays as the worker runs it
        replayer = Replayer(
            workflows=WORKFLOWS, data_converter=time_env.client.data_converter, workflow_runner=workflow_runner()
        )
        replayed = await replayer.replay_workflow(await handle.fetch_history(), raise_on_replay_failure=True)
        assert replayed.replay_failure is None
    assert (await event_kinds(engine, wid)).count("inquiry_escalated") == 1


async def test_cc06_the_assignee_answers_a_handed_on_inquiry(
    time_env: WorkflowEnvironment, engine: AsyncEngine, database_url: str, task_queue: str, directory: Directory
) -> None:
    async with running_worker(time_env.client, database_url, task_queue):
        view = await open_inquiry(time_env, directory, task_queue)
        handle = handle_of(time_env, view)
        cs1, ops1 = directory.get("cs-1"), directory.get("ops-1")
        assert cs1 is not None and ops1 is not None
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(InquiryWorkflow.answer, answer(directory, "ops-1"))
        assigned = await handle.execute_update(
            InquiryWorkflow.assign,
            AssignInput(
                actor=cs1.ref,
                body=InquiryAssignBody(assignee_id="ops-1"),
                assignee=ops1.ref,
                assignee_chain=directory.chain("ops-1"),
            ),
        )
        assert assigned.assignee_id == "ops-1"
        done = await handle.execute_update(InquiryWorkflow.answer, answer(directory, "ops-1"))
        assert done.answered_by == "ops-1" and done.answered_within_deadline is True
    assert recipients(await notifications(engine, view.workflow_id), "inquiry_assigned") == {"ops-1"}
