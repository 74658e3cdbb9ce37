"""What one inquiry step writes, in one transaction (the record_inquiry_step activity)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.case import CaseEvent, Notification
from models.inquiry.state import InquiryState
from models.inquiry.views import InquiryView


class InquiryRecord(BaseModel):
    inquiry: InquiryState
    view: InquiryView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
    #: who may read it now (the case_viewer rows)
    viewers: list[str] = Field(default_factory=list)
