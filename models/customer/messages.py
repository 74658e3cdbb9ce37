"""What crosses the customer account's boundaries: the registration, each step's body and typed
input, and what its activities take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from models.case import StepInput, Strict
from models.complaint.messages import Phone
from models.confidential import ShortId, ShortText, Text
from models.customer.vocabulary import BlacklistScope, CreditClass, ServiceKind, Tier
from models.staff import StaffRef

ProductLine = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class CustomerRecord(BaseModel):
    """CC-08: a customer's record: the original, as registered and never modified, and the
    working record, changed only with a manager's approval. Names and contacts are confidential."""

    name: ShortText
    phone: Phone | None = None
    contact: ShortText | None = None
    address: ShortText | None = None
    product_line: ProductLine | None = None


class DeliveryIn(Strict):
    """CC-01: a delivered project (its id) and when it was delivered."""

    project_id: ShortId
    delivered_at: datetime


class CustomerCreate(Strict):
    """Body of POST /customers: the customer's original record, its owner (a staff member), tier
    and credit class, and the projects already delivered to it."""

    name: ShortText
    phone: Phone | None = None
    contact: ShortText | None = None
    address: ShortText | None = None
    product_line: ProductLine | None = None
    owner_id: ShortId
    tier: Tier = Tier.qualified
    credit_class: CreditClass = CreditClass.C
    delivered: list[DeliveryIn] = Field(default_factory=list, max_length=50)
    #: the last service before the account was opened (CC-05 counts from it; default: now)
    last_service_at: datetime | None = None

    def record(self) -> CustomerRecord:
        return CustomerRecord(
            name=self.name, phone=self.phone, contact=self.contact, address=self.address, product_line=self.product_line
        )


class TierCounts(BaseModel):
    """CC-04: a department's customers (or those of one product line) by tier, as the registry
    counts them when a step is sent."""

    total: int = Field(ge=0)
    vip: int = Field(ge=0)
    preferred: int = Field(ge=0)


# --- human steps: the bodies people send --------------------------------------------------


class ServiceBody(Strict):
    """CC-05: a service given (an invitation, a visit, a call; CC-01 a revisit), when it was
    held (default: now; never in the future)."""

    kind: ServiceKind
    held_at: datetime | None = None
    note: Text | None = None


class VisitReportBody(Strict):
    """CC-02: the report of a visit or revisit."""

    service_id: ShortId
    report: Text


class ReportReviewBody(Strict):
    """CC-02: the supervisor's review of a report: accepted, or sent back to be written again."""

    service_id: ShortId
    approved: bool
    note: Text | None = None


class DeliveryBody(Strict):
    """CC-01: a project delivered to the customer (default: now)."""

    project_id: ShortId
    delivered_at: datetime | None = None


class CreditReportBody(Strict):
    """CC-03: a periodic credit report, with the class it finds."""

    credit_class: CreditClass
    report: Text


class CreditAlertBody(Strict):
    """CC-03: an urgent report of a sudden change in the customer's credit."""

    report: Text


class InstructionBody(Strict):
    """CC-03: the supervisor's instruction on an urgent report (and the new class, if any)."""

    alert_id: ShortId
    instruction: Text
    credit_class: CreditClass | None = None


class TierBody(Strict):
    """CC-04: a new tier, with the reason."""

    tier: Tier
    reason: Text


class ProblemBody(Strict):
    """CC-04: a problem of a VIP (a contract not kept, a late payment, a crisis)."""

    problem: Text


class BlacklistBody(Strict):
    """CC-04: the customer on the department's or the company's blacklist."""

    scope: BlacklistScope
    reason: Text


class LiftBody(Strict):
    reason: Text


class ReassignBody(Strict):
    """CC-05: the customer to another owner."""

    owner_id: ShortId
    reason: Text


class CustomerSurveyBody(Strict):
    """CC-07: a satisfaction survey's answer: a score from 1 to 5."""

    score: int = Field(ge=1, le=5)
    note: Text | None = None


class ChangeBody(Strict):
    """CC-08: a change of the working record (the fields to change) and why."""

    name: ShortText | None = None
    phone: Phone | None = None
    contact: ShortText | None = None
    address: ShortText | None = None
    product_line: ProductLine | None = None
    reason: Text

    @model_validator(mode="after")
    def _something(self) -> ChangeBody:
        if not self.fields():
            raise ValueError("name at least one field to change: name, phone, contact, address or product_line")
        return self

    def fields(self) -> dict[str, str]:
        return {k: v for k in CHANGEABLE if (v := getattr(self, k)) is not None}


#: CC-08: the fields of the working record a change may set.
CHANGEABLE = ("name", "phone", "contact", "address", "product_line")


class ChangeDecisionBody(Strict):
    change_id: ShortId
    approved: bool
    note: Text | None = None

    @field_validator("change_id")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()


# --- human steps: what each update carries ------------------------------------------------

Body = TypeVar("Body", bound=Strict)


class CustomerStepInput(StepInput[Body]):
    """A customer step's update input: who acts, the typed body, and what the API resolved for
    it: the new owner and their leaders (CC-05), the department's counts by tier (CC-04)."""

    new_owner: StaffRef | None = None
    new_owner_chain: list[StaffRef] = Field(default_factory=list)
    counts: TierCounts | None = None
    line_counts: TierCounts | None = None


ServiceInput = CustomerStepInput[ServiceBody]
VisitReportInput = CustomerStepInput[VisitReportBody]
ReviewInput = CustomerStepInput[ReportReviewBody]
DeliveryInput = CustomerStepInput[DeliveryBody]
CreditReportInput = CustomerStepInput[CreditReportBody]
CreditAlertInput = CustomerStepInput[CreditAlertBody]
InstructionInput = CustomerStepInput[InstructionBody]
TierInput = CustomerStepInput[TierBody]
ProblemInput = CustomerStepInput[ProblemBody]
BlacklistInput = CustomerStepInput[BlacklistBody]
LiftInput = CustomerStepInput[LiftBody]
ReassignInput = CustomerStepInput[ReassignBody]
SurveyInput = CustomerStepInput[CustomerSurveyBody]
ChangeInput = CustomerStepInput[ChangeBody]
ChangeDecisionInput = CustomerStepInput[ChangeDecisionBody]
