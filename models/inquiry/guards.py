"""Who may take an inquiry's step, and when (CC-06): the receiver (first responder), the
assignee, or a leader above either answers; the receiver or a leader above them hands it to
another staff member; an answered inquiry takes no further step."""

from __future__ import annotations

from typing import Any

from models.case import Refusal, probing
from models.inquiry.messages import AssignInput
from models.inquiry.state import InquiryState
from models.staff import StaffRef


def may_answer(actor: StaffRef, s: InquiryState) -> bool:
    """CC-06: the receiver, the assignee, or a leader above either of them."""
    people = [s.receiver, *s.receiver_chain]
    if s.assignee is not None:
        people += [s.assignee, *s.assignee_chain]
    return actor.id in {p.id for p in people}


def may_assign(actor: StaffRef, s: InquiryState) -> bool:
    """CC-06: the receiver (first responder) or a leader above them hands the inquiry on."""
    return actor.id in {p.id for p in (s.receiver, *s.receiver_chain)}


def still_open(inp: Any, s: InquiryState) -> Refusal | None:
    """CC-06: an answered inquiry is closed: a second answer, or an assignment, is refused."""
    if not s.open:
        at = f" at {s.answered_at:%Y-%m-%d %H:%M} UTC" if s.answered_at else ""
        return Refusal("conflict", f"CC-06: the inquiry was answered{at}")
    return None


def answerer(inp: Any, s: InquiryState) -> Refusal | None:
    if not may_answer(inp.actor, s):
        return Refusal("forbidden", "CC-06: the receiver, the assignee or a leader above them answers")
    return None


def assigner(inp: Any, s: InquiryState) -> Refusal | None:
    if not may_assign(inp.actor, s):
        return Refusal("forbidden", "CC-06: the receiver or a leader above them assigns the inquiry")
    return None


def assignee_known(inp: AssignInput, s: InquiryState) -> Refusal | None:
    """CC-06: the inquiry goes to a staff member the directory knows (the API resolves them)."""
    if probing(inp):
        return None
    if inp.assignee is None or inp.assignee.id != inp.body.assignee_id:
        return Refusal("invalid", f"assignee_id: unknown staff {inp.body.assignee_id}")
    return None
