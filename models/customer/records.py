"""What one customer-account step writes, in one transaction (the record_customer_step activity)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.case import CaseEvent, Notification
from models.customer.state import CustomerState
from models.customer.views import CustomerView


class CustomerWrite(BaseModel):
    """Input of the record_customer_step activity: one step, written in one transaction."""

    customer: CustomerState
    view: CustomerView
    event: CaseEvent
    notifications: list[Notification] = Field(default_factory=list)
