"""The complaint activities against the real (migrated, session-wide) SQLite database, run in
temporalio's ActivityEnvironment. Records are built with the same rule functions the workflow
uses."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.complaint import ComplaintActivities
from infra.bootstrap import Resources
from models.case import CaseEvent
from models.complaint.clocks import apply_clock
from models.complaint.guards import viewers
from models.complaint.messages import (
    ComplaintCreate,
    ComplaintInput,
    ComplaintStepInput,
    CustomerLookup,
    LookupInput,
    ReassignInput,
    Reassignment,
)
from models.complaint.records import ComplaintRecord
from models.complaint.state import ComplaintState
from models.complaint.steps import ComplaintOutcome as Outcome
from models.complaint.steps import apply_archive, apply_intake, apply_step, new_case
from models.complaint.views import view_of
from models.complaint.vocabulary import Clock, ComplaintStep
from models.policy import ComplaintPolicy
from models.staff import Directory, Role
from storage import tables as t
from tests.steps import complaint_step

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = ComplaintPolicy().repeat_window


@pytest.fixture
def acts(resources: Resources, staff_file) -> ComplaintActivities:
    return ComplaintActivities(resources.engine, resources.writer, staff_file)


@pytest.fixture
def env() -> ActivityEnvironment:
    return ActivityEnvironment()


def _uid() -> str:
    return uuid.uuid4().hex[:16]


def _phone() -> str:
    return f"+86 {uuid.uuid4().int % 10**11:011d}"


def _case(
    directory: Directory, *, phone: str | None = None, customer_id: str | None = None, at: datetime = T0
) -> ComplaintState:
    cid = _uid()
    complainant: dict[str, Any] = {"name": "Zhang San"}
    if phone:
        complainant["phone"] = phone
    if customer_id:
        complainant["customer_id"] = customer_id
    inp = ComplaintInput(
        id=cid,
        complaint=ComplaintCreate(
            channel="email",
            complainant=complainant,
            target={"kind": "staff", "staff_id": "ops-3"},
            summary="Late delivery",
        ),
        receiver=directory.get("cs-1").ref,
        receiver_chain=directory.chain("cs-1"),
        crisis_team=directory.with_role(Role.general_manager),
        policy=ComplaintPolicy(),
    )
    return new_case(cid, f"complaint-{cid}", inp, at)


def _record(out: Outcome, at: datetime) -> ComplaintRecord:
    """What the workflow's _commit passes to record_complaint_step."""
    s = out.state
    return ComplaintRecord(
        case=s,
        view=view_of(s),
        viewers=viewers(s),
        event=CaseEvent(seq=s.seq, kind=out.kind, actor_id=out.actor_id, at=at, data=out.data),
        notifications=out.notifications,
        accountability=out.accountability,
    )


def _step(directory: Directory, step: ComplaintStep, actor: str, body: dict, **staff: str) -> ComplaintStepInput[Any]:
    resolved: dict[str, Any] = {}
    for role, sid in staff.items():
        resolved[role], resolved[f"{role}_chain"] = directory.get(sid).ref, directory.chain(sid)
    return complaint_step(step, directory.get(actor).ref, body, **resolved)


async def _count(engine: AsyncEngine, table: Any, case_ref: str) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(select(func.count()).select_from(table).where(table.case_ref == case_ref))


async def _add_customer(engine: AsyncEngine, phone: str | None = None) -> str:
    cust = f"C-{_uid()}"
    async with engine.begin() as conn:
        await conn.execute(
            t.Customer.__table__.insert().values(id=cust, name="Known Customer", phone=phone, created_at=T0)
        )
    return cust


async def _register(
    env: ActivityEnvironment, acts: ComplaintActivities, state: ComplaintState, lookup: CustomerLookup | None = None
) -> ComplaintState:
    out = apply_intake(state, lookup or CustomerLookup(customer_verified=False, customer_id=None), state.received_at)
    assert (await env.run(acts.record_complaint_step, _record(out, state.received_at))).wrote is True
    return out.state


# --- record_complaint_step: one transaction per step, idempotent on (case, seq) ------------------


async def test_record_step_is_idempotent_on_retry(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine, directory: Directory
) -> None:
    """A retried write (same record) writes its event, notifications and accountability records
    exactly once: True the first time, False after."""
    state = await _register(env, acts, _case(directory, phone=_phone()))
    state = apply_step(
        ComplaintStep.assign,
        _step(directory, ComplaintStep.assign, "cs-1", {"handler_id": "ops-1"}, handler="ops-1"),
        state,
        T0,
    ).state
    state = apply_step(
        ComplaintStep.plan, _step(directory, ComplaintStep.plan, "ops-1", {"plan": "call back"}), state, T0
    ).state
    # CP-13 overdue: escalation notification, reassignment, two accountability records
    later = T0 + timedelta(days=3)
    reassign = Reassignment(handler=directory.get("ops-2").ref, handler_chain=directory.chain("ops-2"))
    out = apply_clock(Clock.resolution, state, later, reassign)
    assert len(out.notifications) >= 3 and len(out.accountability) == 2
    rec = _record(out, later)
    ref = state.workflow_id

    assert (await env.run(acts.record_complaint_step, rec)).wrote is True
    assert (await env.run(acts.record_complaint_step, rec)).wrote is False
    assert (await env.run(acts.record_complaint_step, rec)).wrote is False

    async with engine.connect() as conn:
        evs = list(await conn.execute(select(t.CaseEvent).where(t.CaseEvent.case_ref == ref)))
        notes = list(
            await conn.execute(
                select(t.Notification).where(t.Notification.case_ref == ref, t.Notification.seq == out.state.seq)
            )
        )
        accs = list(await conn.execute(select(t.AccountabilityRecord).where(t.AccountabilityRecord.case_ref == ref)))
        row = (await conn.execute(select(t.Complaint).where(t.Complaint.id == state.id))).one()
    assert sorted(e.seq for e in evs) == [1, out.state.seq]  # intake, then this step, once each
    assert len(notes) == len(out.notifications)
    assert sorted((a.staff_id, a.role) for a in accs) == [("ops-1", "handler"), ("ops-mgr", "manager")]
    assert row.seq == out.state.seq and row.handler_id == "ops-2" and row.escalation_level == 2


async def test_record_step_concurrent_attempts_write_once(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine, directory: Directory
) -> None:
    """Two attempts of the same step at once (a retry racing a slow first attempt): exactly one
    writes."""
    state = _case(directory, phone=_phone())
    out = apply_intake(state, CustomerLookup(customer_verified=False, customer_id=None), T0)
    rec = _record(out, T0)
    results = await asyncio.gather(env.run(acts.record_complaint_step, rec), env.run(acts.record_complaint_step, rec))
    assert sorted(r.wrote for r in results) == [False, True]
    assert await _count(engine, t.CaseEvent, state.workflow_id) == 1
    assert await _count(engine, t.Notification, state.workflow_id) == len(out.notifications)


async def test_record_step_keeps_projection_and_viewers(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine, directory: Directory
) -> None:
    """The complaint projection follows the latest seq, and CP-19/CP-07: the viewer list holds
    the case's participants and their leaders, never the staff member complained about."""
    state = await _register(env, acts, _case(directory, phone=_phone()))
    out = apply_step(
        ComplaintStep.assign,
        _step(
            directory,
            ComplaintStep.assign,
            "cs-1",
            {"handler_id": "ops-1", "investigator_id": "ops-2"},
            handler="ops-1",
            investigator="ops-2",
        ),
        state,
        T0,
    )
    assert (await env.run(acts.record_complaint_step, _record(out, T0))).wrote is True
    async with engine.connect() as conn:
        readers = set(
            await conn.scalars(select(t.CaseViewer.staff_id).where(t.CaseViewer.case_ref == state.workflow_id))
        )
        row = (await conn.execute(select(t.Complaint).where(t.Complaint.id == state.id))).one()
    assert readers == {"cs-1", "cs-sup", "cs-mgr", "gm", "ops-1", "ops-2", "ops-sup", "ops-mgr"}
    assert "ops-3" not in readers
    assert row.status == "in_progress" and row.handler_id == "ops-1" and row.seq == 2
    assert row.view["investigator_id"] == "ops-2"


async def test_cp17_archived_complaint_is_read_only(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-17: once the archived step is written, a further step is refused (ReadOnly) and writes
    nothing; re-running the archive itself is a no-op."""
    state = await _register(env, acts, _case(directory, phone=_phone()))
    closed = apply_step(
        ComplaintStep.classify,
        _step(
            directory,
            ComplaintStep.classify,
            "cs-1",
            {"category": "service", "validity": "invalid", "invalid_reason": "unverifiable"},
        ),
        state,
        T0,
    )
    assert (await env.run(acts.record_complaint_step, _record(closed, T0))).wrote is True
    archived = apply_archive(closed.state, T0)
    rec = _record(archived, T0)
    assert (await env.run(acts.record_complaint_step, rec)).wrote is True
    assert (await env.run(acts.record_complaint_step, rec)).wrote is False

    after = apply_archive(archived.state, T0 + timedelta(days=1))  # any later write, seq 4
    with pytest.raises(ApplicationError) as err:
        await env.run(acts.record_complaint_step, _record(after, T0 + timedelta(days=1)))
    assert err.value.type == "ReadOnly" and err.value.non_retryable
    assert await _count(engine, t.CaseEvent, state.workflow_id) == 3
    async with engine.connect() as conn:
        row = (await conn.execute(select(t.Complaint).where(t.Complaint.id == state.id))).one()
    assert row.archived and row.seq == 3 and row.case_file == "complaints-2026"


# --- lookup_complainant: CP-03 and CP-06 ---------------------------------------------------------


def _lookup(cid: str, *, phone: str | None = None, customer_id: str | None = None, at: datetime = T0) -> LookupInput:
    return LookupInput(complaint_id=cid, customer_id=customer_id, phone=phone, received_at=at, repeat_window=WINDOW)


async def test_cp03_known_customer_by_id_or_phone_is_verified(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine
) -> None:
    """CP-03: a complainant found in the customer registry (by customer id, or by phone) is
    verified and the customer id is filled in."""
    phone = _phone()
    cust = await _add_customer(engine, phone)
    by_id = await env.run(acts.lookup_complainant, _lookup(_uid(), customer_id=cust))
    assert by_id.customer_verified and by_id.customer_id == cust
    by_phone = await env.run(acts.lookup_complainant, _lookup(_uid(), phone=phone))
    assert by_phone.customer_verified and by_phone.customer_id == cust


async def test_cp03_unknown_or_anonymous_complainant_is_unverified(
    env: ActivityEnvironment, acts: ComplaintActivities
) -> None:
    """CP-03: no customer row → unverified (the complaint is still registered with what was
    given); CP-02: an anonymous complaint looks up nothing."""
    unknown = await env.run(acts.lookup_complainant, _lookup(_uid(), phone=_phone(), customer_id="C-nope"))
    assert not unknown.customer_verified and unknown.customer_id == "C-nope"
    anon = await env.run(acts.lookup_complainant, _lookup(_uid()))
    assert anon == CustomerLookup(customer_verified=False, customer_id=None, repeat_of=[])


async def test_cp06_repeat_complaints_within_the_window_only(
    env: ActivityEnvironment, acts: ComplaintActivities, engine: AsyncEngine, directory: Directory
) -> None:
    """CP-06: the same customer's complaints in the last 30 days are repeats; older ones, later
    ones and other customers' are not; the complaint itself never counts."""
    phone = _phone()
    cust = await _add_customer(engine, phone)
    verified = CustomerLookup(customer_verified=True, customer_id=cust)
    now = T0 + timedelta(days=60)
    inside = await _register(env, acts, _case(directory, customer_id=cust, at=now - timedelta(days=10)), verified)
    edge = await _register(env, acts, _case(directory, phone=phone, at=now - WINDOW), verified)
    old = await _register(env, acts, _case(directory, customer_id=cust, at=now - timedelta(days=31)), verified)
    later = await _register(env, acts, _case(directory, customer_id=cust, at=now + timedelta(hours=1)), verified)
    other = await _register(env, acts, _case(directory, phone=_phone(), at=now - timedelta(days=1)))
    me = await _register(env, acts, _case(directory, customer_id=cust, at=now), verified)

    found = await env.run(acts.lookup_complainant, _lookup(me.id, customer_id=cust, phone=phone, at=now))
    assert found.customer_verified
    assert found.repeat_of == sorted([inside.id, edge.id])
    assert old.id not in found.repeat_of and later.id not in found.repeat_of and other.id not in found.repeat_of

    # found through the phone alone (no customer id given) as well
    by_phone = await env.run(acts.lookup_complainant, _lookup(_uid(), phone=phone, at=now))
    assert set(by_phone.repeat_of) >= {inside.id, edge.id, me.id}
    assert old.id not in by_phone.repeat_of


# --- pick_reassignment: CP-13 --------------------------------------------------------------------


async def test_cp13_reassignment_picks_staff_of_another_department_not_excluded(
    env: ActivityEnvironment, acts: ComplaintActivities, directory: Directory
) -> None:
    """CP-13: a handler of *another* department than the original handler's (staff role), never
    one excluded (the original and former handlers, the receiver, the investigator, the staff
    member complained about); none left → None."""
    r = await env.run(acts.pick_reassignment, ReassignInput(department="operations", exclude=["ops-1", "cs-1"]))
    assert r.handler is not None and r.handler.id == "cs-2" and r.handler.department != "operations"
    assert r.handler_chain == directory.chain("cs-2")
    r = await env.run(acts.pick_reassignment, ReassignInput(department="operations", exclude=["cs-1", "cs-2"]))
    assert r.handler is not None and r.handler.id == "q-1" and r.handler.department == "quality"
    r = await env.run(acts.pick_reassignment, ReassignInput(department="customer_service", exclude=["cs-1"]))
    assert r.handler is not None and r.handler.department != "customer_service"
    everyone = [s.id for s in directory.staff]
    none_left = await env.run(acts.pick_reassignment, ReassignInput(department="operations", exclude=everyone))
    assert none_left.handler is None and none_left.handler_chain == []
