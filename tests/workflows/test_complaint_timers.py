"""ComplaintWorkflow on the time-skipping server with the real activities and database.

Every clock runs with its real ComplaintPolicy() duration (30 minutes, 24 hours, 3 days,
7 days): the test sleeps just short of a deadline (nothing happens), then just past it (the
rule fires), and checks both the case the workflow holds and the rows the activity wrote.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from models.staff import Directory
from storage import tables as t
from workflows.complaint import ComplaintWorkflow

from .helpers import (
    HANDLER,
    INVESTIGATOR,
    MAJOR_MEDIA,
    RECEIVER,
    TARGET,
    VALID_SERVICE,
    Cases,
    accountability,
    complaint_row,
    event_count,
    event_kinds,
    event_of,
    events,
    intake,
    new_id,
    new_phone,
    notifications,
    recipients,
    refused,
    settled,
    step,
    wait_for,
)

MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


async def _plan(handle, directory: Directory, actor: str = HANDLER):
    return await handle.execute_update(
        ComplaintWorkflow.plan, step(directory, actor, {"plan": "Call the customer back and check the waybill"})
    )


async def _classify(handle, directory: Directory, body=VALID_SERVICE, actor: str = HANDLER):
    return await handle.execute_update(ComplaintWorkflow.classify, step(directory, actor, body))


async def _resolve(handle, directory: Directory, actor: str = HANDLER):
    return await handle.execute_update(
        ComplaintWorkflow.resolve, step(directory, actor, {"result": "Re-delivered with apologies"})
    )


async def _result(handle, timeout: float = 15.0):
    return await asyncio.wait_for(handle.result(), timeout)


# --- CP-08: the handling plan within 30 minutes ------------------------------------------------


@pytest.mark.parametrize(
    "assigned, owner, leader",
    [(True, HANDLER, "ops-sup"), (False, RECEIVER, "cs-sup")],
    ids=["assigned-handler", "unassigned-first-responder"],
)
async def test_cp08_no_plan_within_30_minutes_escalates_to_owners_direct_leader(
    cases: Cases,
    time_env: WorkflowEnvironment,
    engine: AsyncEngine,
    directory: Directory,
    assigned: bool,
    owner: str,
    leader: str,
) -> None:
    """CP-08 (and CP-20 for the unassigned case): with no plan after 30 minutes the case goes to
    level 1, escalated to the owner's direct leader; both leader and owner are notified."""
    if assigned:
        handle, view = await cases.open_case()
    else:
        handle, view = await cases.start(intake(directory, new_id()))
    assert view.plan_due_at == view.received_at + 30 * MINUTE

    await time_env.sleep(29 * MINUTE)
    view = await settled(handle)
    assert not view.plan_overdue
    assert view.escalation_level == 0 and view.escalated_to == []
    assert "plan_overdue" not in await event_kinds(engine, handle.id)

    await time_env.sleep(2 * MINUTE)
    view = await wait_for(handle, lambda v: v.plan_overdue)
    assert view.escalation_level == 1
    assert view.escalated_to == [leader]
    assert view.plan_due_at is not None  # still no plan, only the clock has run out

    ev = await event_of(engine, handle.id, "plan_overdue")
    assert ev.actor_id is None
    assert ev.data["to"] == leader
    assert 30 * MINUTE <= ev.at - view.received_at <= 31 * MINUTE + 30 * timedelta(seconds=1)
    notes = await notifications(engine, handle.id, ev.seq)
    assert recipients(notes, "escalated") == {leader}
    assert recipients(notes, "plan_overdue") == {owner}
    row = await complaint_row(engine, view.id)
    assert row.escalation_level == 1 and row.seq == ev.seq


async def test_cp08_plan_recorded_at_29_minutes_prevents_escalation(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-08: a plan recorded at 29 minutes stops the clock: no escalation after 31 minutes
    (nor later, while other clocks go on firing)."""
    handle, _ = await cases.open_case()
    await time_env.sleep(29 * MINUTE)
    view = await _plan(handle, directory)
    assert view.plan_due_at is None and not view.plan_overdue
    assert (await event_of(engine, handle.id, "plan")).data == {"within_deadline": True}

    await time_env.sleep(2 * MINUTE)
    view = await settled(handle)
    assert not view.plan_overdue
    assert view.escalation_level == 0 and view.escalated_to == []
    assert "plan_overdue" not in await event_kinds(engine, handle.id)
    assert recipients(await notifications(engine, handle.id), "escalated") == set()

    # the worker does process later clocks: CP-13 fires at 3 days, and still no plan_overdue
    await time_env.sleep(3 * DAY)
    await wait_for(handle, lambda v: v.resolution_overdue)
    assert "plan_overdue" not in await event_kinds(engine, handle.id)


# --- CP-10: major complaints ---------------------------------------------------------------------


async def test_cp10_major_goes_to_crisis_team_at_once_and_missed_report_is_overdue_after_24h(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-10 (CP-06 media exposure): classified major → level 3 at once, the general manager /
    crisis team and (CP-06) the receiver's department head notified in the same step; no
    major-complaint report in 24 hours → major_report_overdue, escalated again to the crisis
    team, accountability records for the handler and the managers above."""
    handle, _ = await cases.open_case()
    await _plan(handle, directory)  # keep CP-08 out of the picture
    view = await _classify(handle, directory, MAJOR_MEDIA)
    assert view.severity == "major"
    assert view.severity_reasons == ["media_exposure"]
    assert view.escalation_level == 3
    assert "gm" in view.escalated_to

    ev = await event_of(engine, handle.id, "classify")
    assert view.major_report_due_at == ev.at + 24 * HOUR
    notes = await notifications(engine, handle.id, ev.seq)
    assert "gm" in recipients(notes)
    assert recipients(notes, "major_complaint") >= {"gm", "cs-mgr"}  # CP-06: cs-1's department head
    assert recipients(notes, "major_report_due") == {HANDLER}
    row = await complaint_row(engine, view.id)
    assert row.severity == "major" and row.escalation_level == 3

    await time_env.sleep(24 * HOUR - MINUTE)
    view = await settled(handle)
    assert not view.major_report_overdue
    assert "major_report_overdue" not in await event_kinds(engine, handle.id)

    await time_env.sleep(2 * MINUTE)
    view = await wait_for(handle, lambda v: v.major_report_overdue)
    assert view.escalation_level == 3
    over = await event_of(engine, handle.id, "major_report_overdue")
    assert over.data["due_at"] == (ev.at + 24 * HOUR).isoformat()
    notes = await notifications(engine, handle.id, over.seq)
    assert recipients(notes, "major_report_overdue") == {"gm"}
    assert "gm" in recipients(notes, "escalated")
    rows = await accountability(engine, handle.id)
    assert sorted((r.staff_id, r.role, r.reason, r.seq) for r in rows) == [
        ("ops-1", "handler", "major_report_overdue", over.seq),
        ("ops-mgr", "manager", "major_report_overdue", over.seq),
        ("ops-sup", "supervisor", "major_report_overdue", over.seq),
    ]


async def test_cp10_general_manager_complained_about_missed_report_still_reaches_level_3(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-10: a major complaint about the general manager goes at once to the next person the
    crisis team names for level 3 (cs-mgr), and so does its missed report 24 hours later:
    never nobody, and never the general manager (CP-07)."""
    handle, _ = await cases.open_case(target_staff="gm")
    await _plan(handle, directory)
    view = await _classify(handle, directory, MAJOR_MEDIA)
    assert view.escalation_level == 3 and "cs-mgr" in view.escalated_to and "gm" not in view.escalated_to
    await time_env.sleep(24 * HOUR + MINUTE)
    view = await wait_for(handle, lambda v: v.major_report_overdue)
    over = await event_of(engine, handle.id, "major_report_overdue")
    assert over.data["to"] == "cs-mgr"
    notes = await notifications(engine, handle.id, over.seq)
    assert recipients(notes, "major_report_overdue") == {"cs-mgr"}
    assert "gm" not in recipients(await notifications(engine, handle.id))


async def test_cp10_major_report_inside_24h_is_not_overdue(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-10: a major-complaint report filed at 23 hours is on time; 25 hours after the case
    went major nothing is overdue."""
    handle, _ = await cases.open_case()
    await _plan(handle, directory)
    await _classify(handle, directory, MAJOR_MEDIA)

    await time_env.sleep(23 * HOUR)
    view = await handle.execute_update(
        ComplaintWorkflow.major_report,
        step(directory, HANDLER, {"report": "Media report handled; legal informed"}),
    )
    assert view.major_report is not None and view.major_report_due_at is None
    rep = await event_of(engine, handle.id, "major_report")
    assert rep.data == {"on_time": True}
    assert recipients(await notifications(engine, handle.id, rep.seq), "major_report") == {"gm"}

    await time_env.sleep(2 * HOUR)
    view = await settled(handle)
    assert not view.major_report_overdue
    assert "major_report_overdue" not in await event_kinds(engine, handle.id)


# --- CP-13: resolution within 3 days -------------------------------------------------------------


async def test_cp13_unresolved_after_3_days_goes_to_manager_reassigned_with_accountability(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-13: not resolved within 3 days → level 2 (the department manager), reassigned to
    a handler of *another department* (其他部門員工: never the original handler's department,
    the receiver, nor the staff member complained about, CP-07), accountability records for the
    handler and the manager."""
    # about cs-2: with the receiver cs-1, customer service has nobody left: quality's q-1 takes over
    handle, _ = await cases.open_case(target_staff="cs-2", investigator=None)
    await _classify(handle, directory)
    await _plan(handle, directory)

    await time_env.sleep(3 * DAY - MINUTE)
    view = await settled(handle)
    assert not view.resolution_overdue
    assert view.handler_id == HANDLER and view.escalation_level == 0
    assert await accountability(engine, handle.id) == []

    await time_env.sleep(2 * MINUTE)
    view = await wait_for(handle, lambda v: v.resolution_overdue)
    assert view.escalation_level == 2
    assert "ops-mgr" in view.escalated_to
    assert view.handler_id == "q-1"
    assert directory.get("q-1").department != directory.get(HANDLER).department

    ev = await event_of(engine, handle.id, "resolution_overdue")
    assert ev.data["to"] == "ops-mgr" and ev.data["new_handler"] == "q-1"
    rows = await accountability(engine, handle.id)
    assert sorted((r.staff_id, r.role, r.reason, r.seq) for r in rows) == [
        (HANDLER, "handler", "resolution_overdue", ev.seq),
        ("ops-mgr", "manager", "resolution_overdue", ev.seq),
    ]
    notes = await notifications(engine, handle.id, ev.seq)
    assert recipients(notes, "escalated") == {"ops-mgr"}
    assert recipients(notes, "assigned") == {"q-1"}
    assert recipients(notes, "resolution_overdue") == {HANDLER}
    row = await complaint_row(engine, view.id)
    assert row.handler_id == "q-1" and row.escalation_level == 2

    # the new handler owns the case now; the original one no longer acts on it
    await refused(engine, handle, ComplaintWorkflow.resolve, step(directory, HANDLER, {"result": "done"}), "Forbidden")
    view = await _resolve(handle, directory, actor="q-1")
    assert view.status == "resolved"


# --- CP-16 / CP-17: the survey, closing and archiving --------------------------------------------


async def test_cp16_cp17_unanswered_survey_closes_after_7_days_and_archives(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-16: 7 days after resolution without a survey the case closes (survey_unanswered);
    CP-17: it is then archived in the case file of its year and the workflow completes.
    (CP-14/CP-15: the result goes to the complainant in writing and customer service is told
    to revisit.)"""
    handle, _ = await cases.open_case()
    await _classify(handle, directory)
    await _plan(handle, directory)
    view = await _resolve(handle, directory)
    assert view.status == "resolved"
    assert view.reply_channel == "letter" and view.reply_sent_at == view.resolved_at
    assert view.survey_due_at == view.resolved_at + 7 * DAY
    assert view.revisit_due_at == view.resolved_at + 24 * HOUR
    res = await event_of(engine, handle.id, "resolve")
    notes = await notifications(engine, handle.id, res.seq)
    assert [(n.recipient_kind, n.kind, n.channel) for n in notes if n.recipient_kind == "complainant"] == [
        ("complainant", "result", "letter")
    ]
    assert recipients(notes, "revisit_due") == {RECEIVER}

    await time_env.sleep(7 * DAY - MINUTE)
    view = await settled(handle)
    assert view.status == "resolved" and not view.archived

    await time_env.sleep(2 * MINUTE)
    final = await _result(handle)
    assert final.status == "closed"
    assert final.closed_reason == "survey_unanswered"
    assert final.archived
    assert final.case_file == f"complaints-{final.closed_at.year}"
    assert final.closed_at - view.resolved_at >= 7 * DAY
    kinds = await event_kinds(engine, handle.id)
    assert kinds[-4:] == ["resolve", "survey_overdue", "closed", "archived"]
    closed = await event_of(engine, handle.id, "closed")  # when, why, and the clock that closed it
    assert closed.actor_id is None
    assert closed.data["reason"] == "survey_unanswered" and closed.data["clock"] == "survey"
    assert closed.data["closed_at"] == final.closed_at.isoformat()
    row = await complaint_row(engine, final.id)
    assert row.status == "closed" and row.archived and row.case_file == final.case_file


async def test_cp16_dissatisfied_survey_reopens_and_restarts_the_plan_clock(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-16: a dissatisfied survey reopens the case (reopen_count 1) with its clocks restarted:
    a new plan is due 30 minutes after the reopening, and without one the case escalates
    again (CP-08)."""
    handle, _ = await cases.open_case()
    await _classify(handle, directory)
    await _plan(handle, directory)
    await time_env.sleep(2 * HOUR)
    await _resolve(handle, directory)
    await time_env.sleep(3 * HOUR)

    view = await handle.execute_update(
        ComplaintWorkflow.survey,
        step(directory, RECEIVER, {"satisfied": False, "score": 2, "comment": "Still no refund"}),
    )
    assert view.status == "in_progress"
    assert view.reopen_count == 1
    assert view.plan is None and view.resolved_at is None
    sv = await event_of(engine, handle.id, "survey")
    assert sv.data["reopen_count"] == 1
    assert view.plan_due_at == sv.at + 30 * MINUTE
    assert view.resolution_due_at == sv.at + 3 * DAY
    assert recipients(await notifications(engine, handle.id, sv.seq), "reopened") == {HANDLER}
    # the old plan no longer counts: resolving again needs a new one
    await refused(engine, handle, ComplaintWorkflow.resolve, step(directory, HANDLER, {"result": "again"}), "Conflict")

    await time_env.sleep(29 * MINUTE)
    view = await settled(handle)
    assert not view.plan_overdue and view.escalation_level == 0

    await time_env.sleep(2 * MINUTE)
    view = await wait_for(handle, lambda v: v.plan_overdue)
    assert view.escalation_level == 1 and view.escalated_to == ["ops-sup"]
    ev = await event_of(engine, handle.id, "plan_overdue")
    assert ev.seq > sv.seq
    assert ev.data["due_at"] == (sv.at + 30 * MINUTE).isoformat()
    notes = await notifications(engine, handle.id, ev.seq)
    assert recipients(notes, "escalated") == {"ops-sup"}
    assert recipients(notes, "plan_overdue") == {HANDLER}


async def test_cp16_the_staff_member_complained_about_reopens_the_case_at_level_0(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-16: at resolution the staff member complained about (ops-3) is sent the result only;
    their dissatisfaction reopens the case (escalation level back to 0, clocks restarted); the
    complainant's satisfaction then waits for their answer, and the survey clock closes it 7
    days after the new resolution."""
    handle, _ = await cases.open_case()
    await _classify(handle, directory)
    await _plan(handle, directory)
    await handle.execute_update(ComplaintWorkflow.escalate, step(directory, HANDLER, {"reason": "needs a leader"}))
    await _resolve(handle, directory)
    res = await event_of(engine, handle.id, "resolve")
    to_target = [n for n in await notifications(engine, handle.id, res.seq) if n.recipient_id == TARGET]
    assert [n.kind for n in to_target] == ["result_for_your_answer"]
    await refused(
        engine, handle, ComplaintWorkflow.staff_survey, step(directory, HANDLER, {"satisfied": True}), "Forbidden"
    )

    view = await handle.execute_update(ComplaintWorkflow.staff_survey, step(directory, TARGET, {"satisfied": False}))
    assert view.status == "in_progress" and view.escalation_level == 0 and view.reopen_count == 1
    sv = await event_of(engine, handle.id, "staff_survey")
    assert view.plan_due_at == sv.at + 30 * MINUTE

    await _plan(handle, directory)
    view = await _resolve(handle, directory)
    view = await handle.execute_update(ComplaintWorkflow.survey, step(directory, RECEIVER, {"satisfied": True}))
    assert view.status == "resolved"  # waits for ops-3's answer
    await time_env.sleep(7 * DAY + MINUTE)
    final = await _result(handle)
    assert final.closed_reason == "survey_unanswered" and final.archived


# --- CP-05 / CP-17: invalid complaints ----------------------------------------------------------


@pytest.mark.parametrize(
    "body, late, reason",
    [
        (
            {
                "category": "business",
                "subtype": "other",
                "validity": "invalid",
                "invalid_reason": "unverifiable",
                "motive": "malicious",
            },
            False,
            "unverifiable",
        ),
        (VALID_SERVICE | {"attitude": True}, True, "late_attitude_complaint"),
    ],
    ids=["classified-invalid", "attitude-complaint-after-a-month"],
)
async def test_cp05_invalid_classification_closes_and_archives(
    cases: Cases,
    time_env: WorkflowEnvironment,
    engine: AsyncEngine,
    directory: Directory,
    body: dict,
    late: bool,
    reason: str,
) -> None:
    """CP-05: an invalid complaint (one of the six reasons; a complaint about service attitude
    raised more than a calendar month after the incident) is closed with its reason and motive
    and the complainant is told; a ``closed`` event names the reason and who closed it; CP-17:
    it is archived and the workflow completes."""
    now = await time_env.get_current_time()
    occurred = now - 40 * DAY if late else None
    handle, _ = await cases.start(intake(directory, new_id(), occurred_at=occurred))
    view = await _classify(handle, directory, body, actor=RECEIVER)
    assert view.status == "closed" and view.closed_reason == "invalid"
    assert view.validity == "invalid" and view.invalid_reason == reason

    final = await _result(handle)
    assert final.archived and final.case_file == f"complaints-{final.closed_at.year}"
    assert await event_kinds(engine, handle.id) == ["registered", "classify", "closed", "archived"]
    closed = await event_of(engine, handle.id, "closed")
    assert closed.actor_id == RECEIVER and closed.data["reason"] == "invalid"
    assert closed.data["invalid_reason"] == reason and closed.data["motive"] in ("general", "malicious")
    cl = await event_of(engine, handle.id, "classify")
    notes = await notifications(engine, handle.id, cl.seq)
    assert [(n.recipient_kind, n.kind) for n in notes] == [("complainant", "invalid")]
    assert reason in notes[0].message
    row = await complaint_row(engine, final.id)
    assert row.status == "closed" and row.archived


async def test_cp17_archived_case_is_complete_and_refuses_further_updates(
    cases: Cases, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-17: once archived the workflow has completed; a further step fails and writes
    nothing."""
    handle, _ = await cases.start(intake(directory, new_id()))
    await _classify(
        handle,
        directory,
        {"category": "service", "validity": "invalid", "invalid_reason": "unverifiable"},
        actor=RECEIVER,
    )
    final = await _result(handle)
    assert final.archived
    before = await event_count(engine, handle.id)
    with pytest.raises((RPCError, WorkflowUpdateFailedError)):
        await handle.execute_update(
            ComplaintWorkflow.assign,
            step(directory, RECEIVER, {"handler_id": HANDLER}, handler=HANDLER),
        )
    with pytest.raises((RPCError, WorkflowUpdateFailedError)):
        await _plan(handle, directory, actor=RECEIVER)
    assert await event_count(engine, handle.id) == before
    assert (await complaint_row(engine, final.id)).seq == final.seq


# --- refusals: CP-07, CP-09, CP-11, CP-12, CP-19 ------------------------------------------------


async def test_cp07_cp19_target_and_outsiders_are_refused_and_nothing_is_written(
    cases: Cases, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-07: the staff member complained about is never made handler or investigator (Conflict)
    and cannot act on the case (Forbidden); CP-19: nor can anyone outside it. A refusal writes
    no case_event."""
    handle, _ = await cases.start(intake(directory, new_id()))
    await refused(
        engine,
        handle,
        ComplaintWorkflow.assign,
        step(directory, RECEIVER, {"handler_id": TARGET}, handler=TARGET),
        "Conflict",
    )
    await refused(
        engine,
        handle,
        ComplaintWorkflow.assign,
        step(
            directory,
            RECEIVER,
            {"handler_id": HANDLER, "investigator_id": TARGET},
            handler=HANDLER,
            investigator=TARGET,
        ),
        "Conflict",
    )
    cause = await refused(
        engine, handle, ComplaintWorkflow.plan, step(directory, TARGET, {"plan": "I'll sort it"}), "Forbidden"
    )
    assert "CP-07" in cause.message
    cause = await refused(
        engine, handle, ComplaintWorkflow.plan, step(directory, "sales-1", {"plan": "x"}), "Forbidden"
    )
    assert "CP-19" in cause.message

    view = await handle.execute_update(
        ComplaintWorkflow.assign,
        step(
            directory,
            RECEIVER,
            {"handler_id": HANDLER, "investigator_id": INVESTIGATOR},
            handler=HANDLER,
            investigator=INVESTIGATOR,
        ),
    )
    assert view.handler_id == HANDLER
    async with engine.connect() as conn:
        readers = set(await conn.scalars(select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == handle.id)))
    assert TARGET not in readers
    assert {RECEIVER, HANDLER, INVESTIGATOR, "ops-sup", "ops-mgr", "gm"} <= readers
    await refused(
        engine,
        handle,
        ComplaintWorkflow.investigation,
        step(directory, TARGET, {"findings": "nothing happened"}),
        "Forbidden",
    )


async def test_cp09_handler_escalates_up_the_ladder_and_complainant_is_told(
    cases: Cases, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-09: handler (0) → direct leader (1) → department manager (2) → general manager (3);
    each time the complainant is told to wait; above the top the step is refused (Conflict)."""
    handle, _ = await cases.open_case()
    await _plan(handle, directory)
    ladder = [(HANDLER, 1, "ops-sup"), ("ops-sup", 2, "ops-mgr"), ("ops-mgr", 3, "gm")]
    for actor, level, to in ladder:
        view = await handle.execute_update(
            ComplaintWorkflow.escalate, step(directory, actor, {"reason": "beyond my authority"})
        )
        assert view.escalation_level == level and view.escalated_to[-1] == to
        ev = (await events(engine, handle.id))[-1]
        assert ev.kind == "escalate" and ev.data["level"] == level and ev.data["to"] == to
        notes = await notifications(engine, handle.id, ev.seq)
        assert recipients(notes, "escalated") == {to, None}  # the leader, and the complainant
        assert any(n.recipient_kind == "complainant" for n in notes)
    await refused(engine, handle, ComplaintWorkflow.escalate, step(directory, "gm", {"reason": "again"}), "Conflict")
    await refused(
        engine, handle, ComplaintWorkflow.escalate, step(directory, "cs-2", {"reason": "not mine"}), "Forbidden"
    )


async def test_cp12_cp11_compensation_needs_approval_at_the_right_level(
    cases: Cases, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-12: above 500 the direct leader may not approve (Conflict), the department manager
    may; above 5,000 only the general manager; nothing is resolved (promised) while a
    compensation waits; the requester never approves their own. CP-11: the investigator makes
    no commitment (Forbidden)."""
    handle, _ = await cases.open_case()
    await _classify(handle, directory)
    await _plan(handle, directory)
    await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation,
        step(directory, INVESTIGATOR, {"amount": "100", "reason": "goodwill"}),
        "Forbidden",
    )

    view = await handle.execute_update(
        ComplaintWorkflow.compensation, step(directory, HANDLER, {"amount": "600", "reason": "late delivery"})
    )
    assert view.compensation is not None and view.compensation.required_level == "manager"
    ev = (await events(engine, handle.id))[-1]
    assert recipients(await notifications(engine, handle.id, ev.seq), "compensation_approval") == {"ops-mgr"}
    cause = await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation_decision,
        step(directory, "ops-sup", {"approved": True}),
        "Conflict",
    )
    assert "CP-12" in cause.message
    await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation_decision,
        step(directory, HANDLER, {"approved": True}),
        "Conflict",
    )
    await refused(engine, handle, ComplaintWorkflow.resolve, step(directory, HANDLER, {"result": "paid"}), "Conflict")
    await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation,
        step(directory, HANDLER, {"amount": "50", "reason": "second"}),
        "Conflict",
    )
    view = await handle.execute_update(
        ComplaintWorkflow.compensation_decision, step(directory, "ops-mgr", {"approved": True})
    )
    assert view.compensation.status == "approved" and view.compensation.decided_by == "ops-mgr"

    view = await handle.execute_update(
        ComplaintWorkflow.compensation, step(directory, HANDLER, {"amount": "6000", "reason": "damaged goods"})
    )
    assert view.compensation.required_level == "general_manager"
    await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation_decision,
        step(directory, "ops-mgr", {"approved": True}),
        "Conflict",
    )
    view = await handle.execute_update(
        ComplaintWorkflow.compensation_decision, step(directory, "gm", {"approved": False, "note": "too much"})
    )
    assert view.compensation.status == "rejected"


# --- CP-06 / CP-03 at intake ---------------------------------------------------------------------


async def test_cp03_cp06_known_customer_verified_and_repeat_complaint_is_major(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-03: a complainant found in the customer registry is marked verified (and the customer
    id filled in); CP-06/CP-10: the same customer's second complaint within 30 days is a repeat
    complaint, major at once (level 3, the general manager told)."""
    phone, cust = new_phone(), f"C-{new_id()}"
    async with engine.begin() as conn:
        await conn.execute(
            t.Customer.__table__.insert().values(
                id=cust, name="Repeat Customer", phone=phone, created_at=datetime.now(UTC)
            )
        )
    first, v1 = await cases.start(intake(directory, new_id(), complainant={"phone": phone}))
    assert v1.customer_verified and v1.complainant.customer_id == cust
    assert v1.repeat_of == [] and v1.severity == "general"

    await time_env.sleep(10 * DAY)
    second, v2 = await cases.start(intake(directory, new_id(), complainant={"customer_id": cust}))
    assert v2.customer_verified
    assert v2.repeat_of == [v1.id]
    assert v2.severity == "major" and v2.severity_reasons == ["repeat_complaint"]
    assert v2.escalation_level == 3 and "gm" in v2.escalated_to
    reg = await event_of(engine, second.id, "registered")
    assert reg.data["repeat_of"] == [v1.id]
    assert "gm" in recipients(await notifications(engine, second.id, reg.seq))

    anon, v3 = await cases.start(intake(directory, new_id(), complainant={}))
    assert not v3.customer_verified and v3.repeat_of == [] and v3.status == "received"  # CP-02


# --- the whole path -------------------------------------------------------------------------------


async def test_happy_path_intake_to_archive_with_contiguous_event_seqs(
    cases: Cases, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-01..CP-17 end to end: intake → assign → classify → plan → investigation →
    compensation 300 → approval by the direct leader (CP-12) → resolve → satisfied survey →
    closed and archived; case_event seqs are 1..N, each once."""
    handle, view = await cases.start(intake(directory, new_id()))
    assert view.status == "received" and view.first_responder_id == RECEIVER  # CP-20
    assert not view.customer_verified  # CP-03: unknown phone, still registered
    await handle.execute_update(
        ComplaintWorkflow.assign,
        step(
            directory,
            RECEIVER,
            {"handler_id": HANDLER, "investigator_id": INVESTIGATOR},
            handler=HANDLER,
            investigator=INVESTIGATOR,
        ),
    )
    await _classify(handle, directory, {"category": "business", "subtype": "goods_discrepancy", "validity": "valid"})
    await _plan(handle, directory)
    await handle.execute_update(
        ComplaintWorkflow.investigation,
        step(
            directory,
            INVESTIGATOR,
            {"findings": "Two cartons short on the waybill", "loopholes": "No count at loading"},
        ),
    )
    view = await handle.execute_update(
        ComplaintWorkflow.compensation, step(directory, HANDLER, {"amount": "300", "reason": "short delivery"})
    )
    assert view.compensation.required_level == "leader"
    view = await handle.execute_update(
        ComplaintWorkflow.compensation_decision, step(directory, "ops-sup", {"approved": True})
    )
    assert view.compensation.status == "approved"
    await _resolve(handle, directory)
    view = await handle.execute_update(
        ComplaintWorkflow.survey, step(directory, RECEIVER, {"satisfied": True, "score": 5})
    )
    assert view.status == "resolved"  # CP-16: the staff member complained about answers too
    view = await handle.execute_update(ComplaintWorkflow.staff_survey, step(directory, TARGET, {"satisfied": True}))
    assert view.status == "closed" and view.closed_reason == "satisfied"

    final = await _result(handle)
    assert final.archived and final.case_file == f"complaints-{final.closed_at.year}"
    assert final.escalation_level == 0 and final.reopen_count == 0

    evs = await events(engine, handle.id)
    seqs = [e.seq for e in evs]
    assert seqs == list(range(1, len(evs) + 1))
    assert len(set(seqs)) == len(seqs)
    assert [e.kind for e in evs] == [
        "registered",
        "assign",
        "classify",
        "plan",
        "investigation",
        "compensation",
        "compensation_decision",
        "resolve",
        "survey",
        "staff_survey",
        "closed",
        "archived",
    ]
    assert final.seq == len(evs)
    row = await complaint_row(engine, final.id)
    assert row.seq == len(evs) and row.status == "closed" and row.archived
    assert row.view["closed_reason"] == "satisfied"
    assert recipients(await notifications(engine, handle.id, evs[5].seq), "compensation_approval") == {"ops-sup"}


# --- CP-07 on the ladders ----------------------------------------------------------------------


async def test_cp07_cp08_escalation_never_goes_to_the_staff_member_complained_about(
    cases: Cases, time_env: WorkflowEnvironment, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-07 with CP-08 and CP-12: a complaint about the handler's own supervisor (ops-sup).
    When no plan is recorded in 30 minutes the case escalates past ops-sup to the next leader
    up (ops-mgr), a compensation approval request skips ops-sup too, and ops-sup is never
    notified about the case."""
    handle, _ = await cases.open_case(target_staff="ops-sup")
    await time_env.sleep(31 * MINUTE)
    view = await wait_for(handle, lambda v: v.plan_overdue)
    assert view.escalation_level == 1
    assert view.escalated_to == ["ops-mgr"]
    ev = await event_of(engine, handle.id, "plan_overdue")
    assert recipients(await notifications(engine, handle.id, ev.seq), "escalated") == {"ops-mgr"}

    await _classify(handle, directory)
    await _plan(handle, directory)
    view = await handle.execute_update(
        ComplaintWorkflow.compensation, step(directory, HANDLER, {"amount": "300", "reason": "late"})
    )
    assert view.compensation.required_level == "leader"
    comp = (await events(engine, handle.id))[-1]
    assert recipients(await notifications(engine, handle.id, comp.seq), "compensation_approval") == {"ops-mgr"}
    assert "ops-sup" not in recipients(await notifications(engine, handle.id))
    await refused(
        engine,
        handle,
        ComplaintWorkflow.compensation_decision,
        step(directory, "ops-sup", {"approved": True}),
        "Forbidden",
    )
