"""The customer account's clocks (CC-01 … CC-05, CC-07): when each runs out, which first, and
what each does when it runs out. Each is a named Temporal timer in the workflow; every due time
is absolute, so it survives continue-as-new. Warnings before a due time remind the owner; a
clock that runs out is missed: the supervisor is told (CC-04: the manager too)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Notification, Outcome, earliest, staff_notes
from models.clock import ClockFact, ClockOutcome, ClockWarning, accounts_after, next_warning_under, warn
from models.customer.state import (
    ClockRun,
    CustomerState,
    clock_running,
    months_later,
    next_revisit,
    owed_reports,
    set_flag,
)
from models.customer.vocabulary import BREACH_FLAGS, Clock, Flag

#: The clocks kept as a run in ``CustomerState.dues`` (the visit report's is its services').
RUN_CLOCKS = (Clock.revisit, Clock.credit_report, Clock.downgrade, Clock.service, Clock.survey)


def clock_due(s: CustomerState, clock: Clock) -> datetime | None:
    """When ``clock`` runs out; None when it does not run."""
    if clock is Clock.visit_report:
        owed = [x for x in owed_reports(s) if not x.report_overdue]
        return owed[0].report_due_at if owed else None
    return clock_running(s, clock)


def next_clock(s: CustomerState) -> tuple[Clock, datetime] | None:
    """The clock that runs out first, if any runs at all."""
    return earliest({c: clock_due(s, c) for c in Clock})


def arm(s: CustomerState, clock: Clock, since: datetime, due: datetime) -> None:
    """In place: ``clock`` runs from ``since`` until ``due`` (a new run)."""
    s.dues[clock.value] = ClockRun(since=since, due=due)


def disarm(s: CustomerState, clock: Clock, outcome: ClockOutcome = ClockOutcome.met) -> None:
    """In place: ``clock`` no longer runs (met: its obligation was done; stopped: no longer due)."""
    run = s.dues.get(clock.value)
    if run is not None and run.ended is None:
        run.ended = outcome


def arm_cadences(s: CustomerState, now: datetime, restart: bool = False) -> None:
    """In place: the cadences of an account in business (opened, or off the blacklist): the
    revisit of its delivered projects (CC-01), the credit report of its class (CC-03), the
    3 months without service (CC-05) and the yearly survey (CC-07), each from its last time;
    ``restart`` (off the blacklist, CC-04): each a full period from ``now``, since no business
    was allowed while they stood still."""
    p = s.policy
    if s.deliveries:
        last = max([d.delivered_at for d in s.deliveries] + ([s.last_revisit_at] if s.last_revisit_at else []))
        last = now if restart else last
        arm(s, Clock.revisit, last, max(next_revisit(s, last), now))
    last_credit = s.credit_reports[-1].at if s.credit_reports and not restart else now
    arm(
        s,
        Clock.credit_report,
        last_credit,
        max(months_later(last_credit, p.credit_report_months(s.credit_class), p), now),
    )
    served = (None if restart else s.last_service_at) or now
    arm(s, Clock.service, served, max(months_later(served, p.unserved_after_months, p), now))
    surveyed = (None if restart else s.last_survey_at) or now
    arm(s, Clock.survey, surveyed, max(months_later(surveyed, p.survey_every_months, p), now))


def stop_cadences(s: CustomerState) -> None:
    """In place: a blacklisted customer gets no business (CC-04): its cadences stop."""
    for clock in (Clock.revisit, Clock.service, Clock.survey, Clock.credit_report):
        disarm(s, clock, ClockOutcome.stopped)


def apply_clock(clock: Clock, state: CustomerState, now: datetime) -> Outcome[CustomerState]:
    """What a clock does when it runs out: the obligation is missed; the owner and the
    supervisor are told; a cadence runs again for its next period."""
    s = state.model_copy(deep=True)
    p = s.policy
    due = clock_due(state, clock)
    assert due is not None
    data: dict[str, Any] = {"clock": clock.value, "due_at": due.isoformat()}
    set_flag(s, BREACH_FLAGS[clock], True)
    people = [s.owner, s.supervisor]
    if clock is Clock.revisit:  # CC-01: missed; the next period's revisit is due
        s.revisit_lapses += 1
        arm(s, clock, due, next_revisit(s, due))
        kind, what = "revisit_missed", "the revisit of its delivered project was missed (CC-01)"
        data["lapses"] = s.revisit_lapses
    elif clock is Clock.visit_report:  # CC-02
        x = next(x for x in owed_reports(s) if not x.report_overdue)
        x.report_overdue = True
        kind, what = "report_missed", f"the report of {x.kind.value} {x.id} is late (CC-02)"
        data["service_id"] = x.id
    elif clock is Clock.credit_report:  # CC-03: missed; the next period's is due
        arm(s, clock, due, months_later(due, p.credit_report_months(s.credit_class), p))
        kind, what = "credit_report_missed", f"no credit report of the class-{s.credit_class.value} customer (CC-03)"
    elif clock is Clock.downgrade:  # CC-04: escalated to the manager
        disarm(s, clock, ClockOutcome.breached)
        set_flag(s, Flag.downgrade_due, True)
        people.append(s.manager)
        kind, what = (
            "downgrade_missed",
            f"the VIP with a problem was not downgraded within {_days(p.vip_downgrade_deadline)} (CC-04)",
        )
    elif clock is Clock.service:  # CC-05: the supervisor may reassign it
        disarm(s, clock, ClockOutcome.breached)
        kind = "unserved"
        what = f"nobody served it for {p.unserved_after_months} months; it may be reassigned (CC-05)"
    else:  # CC-07
        disarm(s, clock, ClockOutcome.breached)
        kind, what = "survey_missed", f"no satisfaction survey in {p.survey_every_months} months (CC-07)"
    nxt = clock_due(s, clock)
    if nxt is not None:
        data["next_due_at"] = nxt.isoformat()
    data |= {"acted_at": now.isoformat(), "lateness_seconds": max((now - due).total_seconds(), 0.0)}
    notes = staff_notes(people, kind, f"Customer {s.id}: {what}")
    s.seq += 1
    return Outcome(s, kind, None, data, notes, clock=clock.value)


def _days(d: Any) -> str:
    return f"{d.days} days" if d.days else str(d)


# --- accounts and warnings ------------------------------------------------------------------


def clock_facts(s: CustomerState) -> dict[str, ClockFact | None]:
    """What the state says of each clock now (models.clock.reconcile keeps the accounts)."""
    facts: dict[str, ClockFact | None] = {}
    for clock in RUN_CLOCKS:
        run = s.dues.get(clock.value)
        if run is None:
            facts[clock.value] = None
        elif run.ended is None:
            facts[clock.value] = ClockFact(run.due - run.since, run.due, run.since)
        else:
            facts[clock.value] = ClockFact(run.due - run.since, None, None, ended=run.ended)
    owed = [x for x in owed_reports(s) if not x.report_overdue]
    if owed:
        x = owed[0]
        assert x.report_due_at is not None
        since = x.report_owed_since or x.held_at
        facts[Clock.visit_report.value] = ClockFact(x.report_due_at - since, x.report_due_at, since)
    elif any(x.report_due_at for x in s.services):
        late = Flag.report_overdue in s.flags
        facts[Clock.visit_report.value] = ClockFact(
            s.policy.visit_report_deadline, None, None, ended=ClockOutcome.breached if late else ClockOutcome.met
        )
    else:
        facts[Clock.visit_report.value] = None
    return facts


def account(state: CustomerState, fired: str | None, now: datetime) -> CustomerState:
    """The state with its clock accounts brought up to date (a copy)."""
    clocks = accounts_after(state.clocks, clock_facts(state), now, fired, state.policy)
    return state.model_copy(update={"clocks": clocks})


def next_warning_of(state: CustomerState) -> ClockWarning | None:
    """The next reminder before a due time."""
    return next_warning_under(state.clocks, state.policy)


def apply_warning(w: ClockWarning, state: CustomerState, now: datetime) -> Outcome[CustomerState]:
    """A clock reached a warning point: the owner is reminded what is due and when (CC-04's
    downgrade: the supervisor, who downgrades, too)."""
    s = state.model_copy(deep=True)
    s.clocks = warn(s.clocks, w, now)
    due = clock_due(s, Clock(w.clock))
    people: list[Any] = [s.owner]
    if w.clock == Clock.downgrade.value:
        people.append(s.supervisor)
    when = f" by {due:%Y-%m-%d %H:%M} UTC" if due else ""
    notes: list[Notification] = staff_notes(people, "clock_warning", f"Customer {s.id}: {w.clock} due{when}")
    s.seq += 1
    data = {
        "clock": w.clock,
        "point": w.point,
        "warning_at": w.at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "last": w.last,
    }
    return Outcome(s, "clock_warning", None, data, notes)
