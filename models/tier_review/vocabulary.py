"""The tier review's vocabulary (CC-04): its stages, its one step, its clock, who takes part."""

from __future__ import annotations

from enum import StrEnum

from models.staff import Role


class ReviewStage(StrEnum):
    opening = "opening"  # reading the department's customers
    open = "open"  # waiting for a supervisor or manager of the department to confirm
    confirmed = "confirmed"  # confirmed; the result is filed


class ReviewStep(StrEnum):
    """The one human step, a Temporal update (and POST /tier-reviews/{id}/confirm)."""

    confirm = "confirm"


class Clock(StrEnum):
    confirm = "confirm"  # CC-04: confirmed within tier_review_deadline, reminders after


#: CC-04: who reviews a department's customers: its supervisors and managers.
REVIEWER_ROLES = (Role.supervisor, Role.manager)
