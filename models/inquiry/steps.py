"""The inquiry as a table of steps (CC-06): answer (closes it, on time or late) and assign
(hands it to another staff member, who then may answer). Each is a StepRule: its guards refuse
a step on an answered inquiry (409) or by someone not allowed (403)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.case import Change, Outcome, StepInput, StepRule, staff_notes, take_step
from models.inquiry.clocks import answer_due
from models.inquiry.guards import answerer, assignee_known, assigner, still_open
from models.inquiry.messages import AnswerInput, AssignInput, InquiryInput
from models.inquiry.state import InquiryState
from models.inquiry.vocabulary import InquiryStatus, InquiryStep

InquiryOutcome = Outcome[InquiryState]


def new_inquiry(inp: InquiryInput, workflow_id: str, now: datetime) -> InquiryState:
    """CC-06: an inquiry received ``now``; its answer is due within the policy's deadline."""
    s = InquiryState(
        id=inp.id,
        workflow_id=workflow_id,
        inquiry=inp.inquiry,
        receiver=inp.receiver,
        receiver_chain=inp.receiver_chain,
        policy=inp.policy,
        received_at=now,
        due_at=now,
    )
    s.due_at = answer_due(s)
    return s


def apply_receipt(state: InquiryState, now: datetime) -> InquiryOutcome:
    """CC-06: the inquiry is registered; its receiver (first responder) owes the answer."""
    s = state.model_copy(deep=True)
    s.seq += 1
    data = {
        "channel": s.inquiry.channel.value,
        "customer_id": s.inquiry.customer_id,
        "receiver_id": s.receiver.id,
        "due_at": s.due_at.isoformat(),
    }
    texts: dict[str, str | None] = {"question": s.inquiry.question, "contact": s.inquiry.contact}
    out = Outcome(s, "inquiry_received", s.receiver.id, data)
    out.texts = texts
    return out


def _answer(inp: AnswerInput, s: InquiryState, now: datetime) -> Change:
    s.status = InquiryStatus.answered
    s.answered_at, s.answered_by, s.answer = now, inp.actor.id, inp.body.answer
    s.answered_within_deadline = now <= s.due_at
    people = [s.receiver, s.assignee, s.escalated_to]
    notes = staff_notes(
        [p for p in people if p is not None and (p if isinstance(p, str) else p.id) != inp.actor.id],
        "inquiry_answered",
        f"Inquiry {s.id}: answered by {inp.actor.id} ({'on time' if s.answered_within_deadline else 'late'}, CC-06)",
    )
    data = {"within_deadline": s.answered_within_deadline, "late": s.late, "due_at": s.due_at.isoformat()}
    return Change(data=data, notifications=notes, texts={"answer": inp.body.answer})


def _assign(inp: AssignInput, s: InquiryState, now: datetime) -> Change:
    assert inp.assignee is not None
    s.assignee, s.assignee_chain = inp.assignee, list(inp.assignee_chain)
    notes = staff_notes(
        [inp.assignee], "inquiry_assigned", f"Inquiry {s.id}: yours to answer by {s.due_at:%Y-%m-%d %H:%M} UTC (CC-06)"
    )
    return Change(data={"assignee_id": inp.assignee.id}, notifications=notes)


STEPS: dict[InquiryStep, StepRule[Any, InquiryState]] = {
    InquiryStep.answer: StepRule(AnswerInput, [still_open, answerer], _answer),
    InquiryStep.assign: StepRule(AssignInput, [still_open, assigner, assignee_known], _assign),
}


def apply_step(step: InquiryStep, inp: StepInput[Any], state: InquiryState, now: datetime) -> InquiryOutcome:
    return take_step(STEPS[step], step.value, inp, state, now)
