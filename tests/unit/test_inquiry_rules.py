"""CC-06 inquiries, the rules alone (no Temporal, no database): the answer is due 24 hours
after the receipt (in working time when the policy says so); who may answer and assign; an
answered inquiry takes no further step; the answer clock running out flags the inquiry late
and escalates it to the receiver's direct leader, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from models.calendar import BusinessCalendar, ClockTime, due_at
from models.case import Refusal, step_refusal
from models.clock import ClockOutcome
from models.inquiry.clocks import account, apply_clock, apply_warning, next_clock, next_warning_of
from models.inquiry.guards import may_answer, may_assign
from models.inquiry.messages import AnswerBody, AnswerInput, AssignInput, InquiryAssignBody, InquiryCreate, InquiryInput
from models.inquiry.state import InquiryState, viewers
from models.inquiry.steps import STEPS, apply_receipt, apply_step, new_inquiry
from models.inquiry.views import describe_waiting, view_of
from models.inquiry.vocabulary import Clock, InquiryStatus, InquiryStep
from models.policy import InquiryPolicy, PolicySettings
from models.staff import Directory
from tests.conftest import STAFF_FILE

DIRECTORY = Directory.from_file(STAFF_FILE)
#: Friday 27 November 2026, 18:00 in Beijing: after the office closed.
FRIDAY_EVENING = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar(timezone="Asia/Shanghai")


def ref(staff_id: str) -> Any:
    s = DIRECTORY.get(staff_id)
    assert s is not None
    return s.ref


def received(receiver: str = "cs-1", at: datetime = FRIDAY_EVENING, **policy: Any) -> InquiryState:
    """An inquiry received by ``receiver`` at ``at``, registered, its clock accounted."""
    inp = InquiryInput(
        id="20261127-INQ001",
        inquiry=InquiryCreate.model_validate({"channel": "phone", "question": "When does my order ship?"}),
        receiver=ref(receiver),
        receiver_chain=DIRECTORY.chain(receiver),
        policy=InquiryPolicy(**policy),
    )
    state = new_inquiry(inp, "inquiry-" + inp.id, at)
    return account(apply_receipt(state, at).state, None, at)


def answer(actor: str) -> AnswerInput:
    return AnswerInput(actor=ref(actor), body=AnswerBody(answer="It ships on Monday."))


def assign(actor: str, assignee: str) -> AssignInput:
    return AssignInput(
        actor=ref(actor),
        body=InquiryAssignBody(assignee_id=assignee),
        assignee=ref(assignee),
        assignee_chain=DIRECTORY.chain(assignee),
    )


def take(step: InquiryStep, inp: Any, s: InquiryState, now: datetime) -> InquiryState:
    assert step_refusal(STEPS[step], inp, s, now) is None
    return account(apply_step(step, inp, s, now).state, None, now)


def test_cc06_the_answer_is_due_24_hours_after_the_receipt() -> None:
    s = received()
    assert s.due_at == FRIDAY_EVENING + timedelta(hours=24)
    assert next_clock(s) == (Clock.answer, FRIDAY_EVENING + timedelta(hours=24))
    assert [a.clock for a in s.clocks] == ["answer"] and s.clocks[0].due_at == s.due_at
    assert PolicySettings().inquiry_policy().inquiry_answer_deadline == timedelta(hours=24)


def test_cc06_the_deadline_and_its_counting_come_from_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("POLICY_INQUIRY_ANSWER_DEADLINE", "PT12H")
    monkeypatch.setenv("POLICY_INQUIRY_ANSWER_CLOCK_COUNTS", "working")
    monkeypatch.setenv("POLICY_INQUIRY_ANSWER_WARNINGS", "[0.9]")
    p = PolicySettings().inquiry_policy()
    assert p.inquiry_answer_deadline == timedelta(hours=12)
    assert p.counts("answer") is ClockTime.working and p.warning_points() == {"answer": [0.9]}


def test_cc06_in_working_time_the_answer_is_due_24_working_hours_later() -> None:
    """Received after hours on a Friday, counted in working time: 24 working hours from
    Monday's opening (three working days of 8 hours), not Saturday evening."""
    s = received(inquiry_answer_clock_counts=ClockTime.working, calendar=CALENDAR)
    expected = due_at(FRIDAY_EVENING, timedelta(hours=24), ClockTime.working, CALENDAR)
    assert s.due_at == expected and expected > FRIDAY_EVENING + timedelta(days=3)
    w = next_warning_of(s)
    assert w is not None and w.point == 0.5
    assert w.at == due_at(FRIDAY_EVENING, timedelta(hours=12), ClockTime.working, CALENDAR)


def test_cc06_who_may_answer_and_assign() -> None:
    """The receiver, the assignee and the leaders above either answer; the receiver or a leader
    above them assigns; nobody else does either."""
    s = received()
    for who in ("cs-1", "cs-sup", "cs-mgr", "gm"):
        assert may_answer(ref(who), s), who
    for who in ("cs-2", "ops-1", "ops-sup", "sales-1"):
        assert not may_answer(ref(who), s), who
    assert may_assign(ref("cs-1"), s) and may_assign(ref("cs-sup"), s)
    assert not may_assign(ref("cs-2"), s) and not may_assign(ref("ops-1"), s)
    refused = step_refusal(STEPS[InquiryStep.answer], answer("ops-1"), s, FRIDAY_EVENING)
    assert refused is not None and refused.kind == "forbidden" and "CC-06" in refused.reason

    s = take(InquiryStep.assign, assign("cs-1", "ops-1"), s, FRIDAY_EVENING + timedelta(hours=1))
    assert s.assignee is not None and s.assignee.id == "ops-1"
    assert may_answer(ref("ops-1"), s) and may_answer(ref("ops-sup"), s) and may_answer(ref("ops-mgr"), s)
    assert not may_assign(ref("ops-1"), s)  # the assignee answers; the receiver's side hands on
    assert set(viewers(s)) == {"cs-1", "cs-sup", "cs-mgr", "gm", "ops-1", "ops-sup", "ops-mgr"}
    refused = step_refusal(STEPS[InquiryStep.assign], assign("ops-1", "ops-2"), s, FRIDAY_EVENING)
    assert refused is not None and refused.kind == "forbidden"


def test_cc06_an_assignment_to_unknown_staff_is_invalid() -> None:
    s = received()
    inp = AssignInput(actor=ref("cs-1"), body=InquiryAssignBody(assignee_id="nobody"))
    assert step_refusal(STEPS[InquiryStep.assign], inp, s, FRIDAY_EVENING) == Refusal(
        "invalid", "assignee_id: unknown staff nobody"
    )


def test_cc06_answered_within_24_hours_is_on_time_and_closes_it_answered_twice_is_refused() -> None:
    s = received()
    at = FRIDAY_EVENING + timedelta(hours=23)
    s = take(InquiryStep.answer, answer("cs-1"), s, at)
    assert s.status is InquiryStatus.answered and s.answered_at == at and s.answered_by == "cs-1"
    assert s.answered_within_deadline is True and not s.late
    assert next_clock(s) is None and next_warning_of(s) is None
    assert s.clocks[-1].outcome is ClockOutcome.met
    for step, inp in ((InquiryStep.answer, answer("cs-sup")), (InquiryStep.assign, assign("cs-1", "cs-2"))):
        refused = step_refusal(STEPS[step], inp, s, at)
        assert refused is not None and refused.kind == "conflict" and "answered" in refused.reason
    assert "answered" in describe_waiting(s) and view_of(s).answer == "It ships on Monday."


def test_cc06_unanswered_at_24_hours_is_late_and_escalated_to_the_receivers_leader_once() -> None:
    s = received()
    due = s.due_at
    out = apply_clock(Clock.answer, s, due)
    s = account(out.state, out.clock, due)
    assert s.late and s.escalated_to == "cs-sup" and s.status is InquiryStatus.open
    assert out.kind == "inquiry_escalated"
    assert {n.recipient_id for n in out.notifications} == {"cs-1", "cs-sup"}
    assert all("CC-06" in n.message for n in out.notifications)
    assert s.clocks[-1].outcome is ClockOutcome.breached
    # it keeps waiting for the answer, with no second breach (no clock, no warning)
    assert next_clock(s) is None and next_warning_of(s) is None
    assert "LATE" in describe_waiting(s)

    later = due + timedelta(hours=5)
    s = take(InquiryStep.answer, answer("cs-sup"), s, later)
    assert s.status is InquiryStatus.answered and s.answered_within_deadline is False and s.late
    assert s.clocks[-1].outcome is ClockOutcome.breached and s.clocks[-1].fulfilled_at == later


def test_cc06_warnings_at_half_and_80_percent_tell_the_receiver_the_last_their_leader_too() -> None:
    s = received()
    w = next_warning_of(s)
    assert w is not None and w.at == FRIDAY_EVENING + timedelta(hours=12) and not w.last
    out = apply_warning(w, s, w.at)
    assert {n.recipient_id for n in out.notifications} == {"cs-1"}
    s = account(out.state, None, w.at)
    w2 = next_warning_of(s)
    assert w2 is not None and w2.at == FRIDAY_EVENING + timedelta(hours=19.2) and w2.last
    out = apply_warning(w2, s, w2.at)
    assert {n.recipient_id for n in out.notifications} == {"cs-1", "cs-sup"}
    s = account(out.state, None, w2.at)
    assert next_warning_of(s) is None


def test_cc06_the_receipt_records_the_question_as_a_text_not_as_data() -> None:
    s = received()
    out = apply_receipt(
        new_inquiry(
            InquiryInput(
                id="X",
                inquiry=InquiryCreate.model_validate({"channel": "email", "question": "Q?", "contact": "Li, 555"}),
                receiver=ref("cs-1"),
                policy=InquiryPolicy(),
            ),
            "inquiry-X",
            FRIDAY_EVENING,
        ),
        FRIDAY_EVENING,
    )
    assert out.texts == {"question": "Q?", "contact": "Li, 555"}
    assert "Q?" not in str(out.data) and s.seq == 1
