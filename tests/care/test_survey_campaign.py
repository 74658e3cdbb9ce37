"""CC-07 "a satisfaction survey of every active customer at least once a year": the yearly
campaign lists exactly the active customers (an account, not blacklisted) with no survey in the
company's current calendar year, tells each owner once which of theirs to survey, and files the
year's figures; started again (by the schedule, or its activity run twice) it writes and tells
nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from activities.care import CareActivities
from models.calendar import local_year
from models.customer.vocabulary import CustomerStep
from models.survey import (
    REPORT_KIND,
    CampaignDone,
    ScheduledSurveyCampaign,
    SurveyCampaignInput,
    survey_campaign_id,
    year_start,
)
from storage import tables as t
from storage.engine import sessions
from tests.care.conftest import STAFF_FILE, Care
from tests.customers.accounts import create
from workflows.care import YearlySurveyCampaignWorkflow

TZ = "Asia/Shanghai"


async def add_row(care: Care, owner: str, department: str, **kw: object) -> str:
    """A customer as the registry holds it (the campaign reads the registry only)."""
    cid = f"R-{uuid.uuid4().hex[:8]}"
    row = t.Customer(
        id=cid,
        name=f"Row {cid}",
        created_at=datetime.now(UTC),
        workflow_id=f"customer-{cid}",
        owner_id=owner,
        department=department,
        tier="qualified",
        credit_class="C",
        **kw,
    )
    async with sessions(care.engine)() as db, db.begin():
        db.add(row)
    return cid


async def test_cc07_the_campaign_lists_exactly_the_customers_without_a_survey_this_year_and_tells_owners_once(
    care: Care,
) -> None:
    accounts, env = care.accounts, care.env
    year = local_year(await env.get_current_time(), TZ)
    start = year_start(year, TZ)  # 1 January 00:00 in Shanghai
    never, _ = await accounts.open(create())  # cs-1's, never surveyed
    surveyed, _ = await accounts.open(create())  # cs-1's, surveyed now
    await accounts.act(surveyed, CustomerStep.survey, "cs-1", {"score": 4})
    other, _ = await accounts.open(create(owner_id="ops-1"))  # ops-1's, never surveyed
    # the company's new year began at 16:00 UTC on 31 December
    eve = await add_row(care, "cs-2", "customer_service", last_survey_at=start - timedelta(minutes=30))
    await add_row(care, "cs-2", "customer_service", last_survey_at=start + timedelta(minutes=30))
    await add_row(care, "cs-2", "customer_service", blacklist="department")  # no business: not surveyed
    async with sessions(care.engine)() as db, db.begin():  # in the registry, no account: not active
        db.add(t.Customer(id=f"N-{uuid.uuid4().hex[:6]}", name="No account", created_at=datetime.now(UTC)))
    ids = {w: w.removeprefix("customer-") for w in (never, surveyed, other)}

    arg = ScheduledSurveyCampaign(timezone=TZ)
    got = await env.client.execute_workflow(
        YearlySurveyCampaignWorkflow.run, arg, id=f"survey-a-{care.task_queue}", task_queue=care.task_queue
    )
    assert got == year
    handle = env.client.get_workflow_handle(survey_campaign_id(year), result_type=CampaignDone)
    done = await handle.result()
    assert done.wrote is True and (await handle.describe()).workflow_type == "SurveyCampaignWorkflow"

    ref = survey_campaign_id(year)
    async with care.engine.connect() as conn:
        event = (await conn.execute(select(t.CaseEvent).where(t.CaseEvent.case_ref == ref))).one()
        notes = (
            await conn.execute(
                select(t.Notification.recipient_id, t.Notification.message)
                .where(t.Notification.case_ref == ref)
                .order_by(t.Notification.recipient_id)
            )
        ).all()
        report = (await conn.execute(select(t.Report).where(t.Report.kind == REPORT_KIND))).one()
    assert event.kind == "survey_campaign"
    assert event.data["by_owner"] == {"cs-1": [ids[never]], "cs-2": [eve], "ops-1": [ids[other]]}
    assert [n.recipient_id for n in notes] == ["cs-1", "cs-2", "ops-1"]
    assert notes[0].message.startswith("CC-07") and ids[never] in notes[0].message
    assert ids[surveyed] not in notes[0].message
    figures = report.figures["figures"]
    assert report.period == str(year) and report.version == 1
    assert (figures["active"], figures["surveyed"], figures["to_survey"]) == (5, 2, 3)
    assert figures["by_department"]["operations"] == {"active": 1, "surveyed": 0, "to_survey": 1}
    assert figures["by_department"]["customer_service"] == {"active": 4, "surveyed": 2, "to_survey": 2}

    # started again by the schedule: no second campaign; its activity run again: nothing written
    again = await env.client.execute_workflow(
        YearlySurveyCampaignWorkflow.run, arg, id=f"survey-b-{care.task_queue}", task_queue=care.task_queue
    )
    assert again == year
    rerun = await CareActivities(care.engine, care.resources.writer, STAFF_FILE).survey_campaign(
        SurveyCampaignInput(year=year, timezone=TZ)
    )
    assert rerun.wrote is False and rerun.figures.to_survey == 3
    async with care.engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(t.Notification).where(t.Notification.case_ref == ref)
        )
        reports = await conn.scalar(select(func.count()).select_from(t.Report).where(t.Report.kind == REPORT_KIND))
        events = await conn.scalar(select(func.count()).select_from(t.CaseEvent).where(t.CaseEvent.case_ref == ref))
    assert (count, reports, events) == (3, 1, 1)
