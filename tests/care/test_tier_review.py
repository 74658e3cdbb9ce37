"""CC-04 "a review every 6 months" on the time-skipping server, with the real durations: a
department's review reads its customers and their shares by tier (a tier over its cap shown),
asks its supervisors and managers, refuses a confirmation by anyone else (nothing written),
reminds the managers and supervisors once the 14 days run out and again 7 days later, takes one
confirmation and files the tiers as they are then; the scheduled workflow starts one review
per department with customers for the half-year just ended on the company's calendar, and not
twice."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from models.customer.vocabulary import CustomerStep
from models.policy import CustomerPolicy
from models.tier_review.messages import ConfirmBody, ConfirmInput, ScheduledTierReview, TierReviewInput
from models.tier_review.periods import tier_review_id, tier_review_workflow_id
from models.tier_review.views import TierReviewView
from models.tier_review.vocabulary import ReviewStage, ReviewStep
from storage import tables as t
from tests.care.conftest import Care
from tests.customers.accounts import create
from tests.workflows.helpers import event_count
from workflows.care import ScheduledTierReviewWorkflow, TierReviewWorkflow

DAY = timedelta(days=1)
TZ = "Asia/Shanghai"
_CONFIRM = ReviewStep.confirm


async def kinds(care: Care, wid: str) -> list[str]:
    async with care.engine.connect() as conn:
        rows = await conn.execute(select(t.CaseEvent.kind).where(t.CaseEvent.case_ref == wid).order_by(t.CaseEvent.seq))
        return [r.kind for r in rows]


async def notified(care: Care, wid: str, kind: str) -> list[str | None]:
    async with care.engine.connect() as conn:
        rows = await conn.execute(
            select(t.Notification.recipient_id)
            .where(t.Notification.case_ref == wid, t.Notification.kind == kind)
            .order_by(t.Notification.id)
        )
        return [r.recipient_id for r in rows]


def confirm(care: Care, who: str) -> ConfirmInput:
    actor = care.accounts.directory.get(who)
    assert actor is not None
    return ConfirmInput(actor=actor.ref, body=ConfirmBody(note="tiers checked"))


async def refused(care: Care, handle: WorkflowHandle[Any, TierReviewView], who: str, error: str) -> str:
    before = await event_count(care.engine, handle.id)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(TierReviewWorkflow.update_for(_CONFIRM), confirm(care, who))
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error, repr(cause)
    assert await event_count(care.engine, handle.id) == before
    return cause.message


async def reminded(care: Care, wid: str, count: int, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while (await kinds(care, wid)).count("tier_review_reminder") < count:
        assert time.monotonic() < end, await kinds(care, wid)
        await asyncio.sleep(0.05)


async def test_cc04_a_review_reminds_after_14_days_and_takes_one_confirmation_by_the_department(care: Care) -> None:
    accounts, env = care.accounts, care.env
    vip, _ = await accounts.open(create(tier="vip"))
    plain, _ = await accounts.open(create())
    await accounts.open(create(owner_id="ops-1"))  # another department's: not in this review
    period, department = "2030-H2", "customer_service"
    wid = tier_review_workflow_id(period, department)
    inp = TierReviewInput(
        id=tier_review_id(period, department), period=period, department=department, policy=CustomerPolicy()
    )
    await env.client.start_workflow(TierReviewWorkflow.run, inp, id=wid, task_queue=care.task_queue)
    handle = env.client.get_workflow_handle(wid, result_type=TierReviewView)
    view = await handle.execute_update(TierReviewWorkflow.registration())

    # CC-04: the department's customers, their shares, the VIP share over its 15 % cap
    assert sorted(c.id for c in view.customers) == sorted(w.removeprefix("customer-") for w in (vip, plain))
    assert view.figures is not None and view.figures.counts["vip"] == 1 and view.figures.total == 2
    assert [o.tier.value for o in view.figures.over_cap] == ["vip"]
    assert await notified(care, wid, "tier_review") == ["cs-mgr", "cs-sup"]

    # another department's supervisor and a staff member may not confirm: nothing written
    assert "CC-04" in await refused(care, handle, "ops-sup", "Forbidden")
    await refused(care, handle, "cs-1", "Forbidden")

    # the 14 days: nothing just before, a reminder once they run out, another 7 days later
    await env.sleep(14 * DAY - timedelta(minutes=5))
    await asyncio.sleep(0.3)
    assert "tier_review_reminder" not in await kinds(care, wid)
    await env.sleep(timedelta(minutes=10))
    await reminded(care, wid, 1)
    assert await notified(care, wid, "tier_review_overdue") == ["cs-mgr", "cs-sup"]
    await env.sleep(7 * DAY)
    await reminded(care, wid, 2)

    # a tier changed during the review (POST /customers/{id}/tier), then the confirmation
    await accounts.act(vip, CustomerStep.change_tier, "cs-sup", {"tier": "qualified", "reason": "review"})
    done = await handle.execute_update(TierReviewWorkflow.update_for(_CONFIRM), confirm(care, "cs-sup"))
    assert done.stage is ReviewStage.confirmed and done.confirmed_by == "cs-sup"
    # a second confirmation is refused (by the validator, or the review is over and filed)
    before = await event_count(care.engine, wid)
    with pytest.raises((WorkflowUpdateFailedError, RPCError)) as err:
        await handle.execute_update(TierReviewWorkflow.update_for(_CONFIRM), confirm(care, "cs-mgr"))
    if isinstance(err.value, WorkflowUpdateFailedError):
        cause = err.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "Conflict", repr(cause)
    filed = await handle.result()
    assert filed.stage is ReviewStage.confirmed and filed.confirmed_by == "cs-sup"
    assert filed.figures is not None and filed.figures.counts["vip"] == 0  # filed as the tiers are now
    assert await event_count(care.engine, wid) <= before + 1  # at most the filing, no second confirmation
    assert await kinds(care, wid) == [
        "tier_review_opened",
        "tier_review_reminder",
        "tier_review_reminder",
        "confirm",
        "tier_review_filed",
    ]
    async with care.engine.connect() as conn:
        row = (await conn.execute(select(t.TierReview).where(t.TierReview.workflow_id == wid))).one()
    assert row.stage == "confirmed" and row.department == department and row.period == period


async def test_cc04_the_schedule_starts_one_review_per_department_for_the_half_year_just_ended(care: Care) -> None:
    accounts, env = care.accounts, care.env
    await accounts.open(create())
    await accounts.open(create(owner_id="ops-1"))
    # the schedule fired at 1 July 02:00 in Shanghai, still 30 June in UTC: the first half-year
    at = datetime(2031, 6, 30, 18, tzinfo=UTC)
    arg = ScheduledTierReview(timezone=TZ, policy=CustomerPolicy(), at=at)
    first = await env.client.execute_workflow(
        ScheduledTierReviewWorkflow.run, arg, id=f"tier-reviews-a-{care.task_queue}", task_queue=care.task_queue
    )
    wids = [tier_review_workflow_id("2031-H1", d) for d in ("customer_service", "operations")]
    assert first.period == "2031-H1" and first.started == wids and first.existing == []
    runs = {}
    for wid in wids:
        handle = env.client.get_workflow_handle(wid, result_type=TierReviewView)
        view = await handle.execute_update(TierReviewWorkflow.registration())
        assert view.period == "2031-H1" and len(view.customers) == 1
        runs[wid] = (await handle.describe()).run_id
    second = await env.client.execute_workflow(
        ScheduledTierReviewWorkflow.run, arg, id=f"tier-reviews-b-{care.task_queue}", task_queue=care.task_queue
    )
    assert second.started == [] and second.existing == wids  # one review per department, however often it runs
    for wid in wids:
        handle = env.client.get_workflow_handle(wid)
        assert (await handle.describe()).run_id == runs[wid]
        await handle.terminate("test over")
