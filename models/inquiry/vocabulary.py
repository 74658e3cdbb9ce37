"""The inquiry's vocabulary (CC-06): its channels, its status, its steps and its clock."""

from __future__ import annotations

from enum import StrEnum


class InquiryChannel(StrEnum):
    """How an inquiry came in: the complaint intake's channels a customer asks through
    (models.complaint.vocabulary.Channel without the referral and the revisit)."""

    phone = "phone"
    walk_in = "walk_in"
    online_chat = "online_chat"
    email = "email"
    letter = "letter"
    hotline = "hotline"


class InquiryStatus(StrEnum):
    open = "open"  # waiting for its answer (late once the answer clock ran out)
    answered = "answered"


class InquiryStep(StrEnum):
    """Human steps, each a Temporal update (and a POST on the API)."""

    answer = "answer"
    assign = "assign"


class Clock(StrEnum):
    """CC-06: the one clock: the answer is due within the policy's deadline of the receipt."""

    answer = "answer"
