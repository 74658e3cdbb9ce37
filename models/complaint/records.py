"""What one complaint step writes, in one transaction (the record_complaint_step activity)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.case import Accountability, CaseEvent, Notification
from models.complaint.state import ComplaintState
from models.complaint.views import ComplaintView


class ComplaintRecord(BaseModel):
    """Input of the record_complaint_step activity: one step, written in one transaction."""

    case: ComplaintState
    event: CaseEvent
    view: ComplaintView | None = None  # derived from case when not given
    viewers: list[str] | None = None  # derived from case when not given
    notifications: list[Notification] = Field(default_factory=list)
    accountability: list[Accountability] = Field(default_factory=list)
