"""What crosses the client project's boundaries: the application, each step's body and typed
input, and the inputs and answers of its activities."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from models.case import DecisionBody, StepInput, Strict, TermsBody
from models.confidential import Confidential, ShortId, ShortText, Text
from models.project.vocabulary import BudgetPhase, Progress

#: A budget line's label ("travel", "samples"): plain, like an id (it keys the totals of the
#: project's view); the README asks that no one put a person in it.
LineName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
ProductLine = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Money = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000000"), decimal_places=2)]
Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


# --- application --------------------------------------------------------------------------


class ProjectCreate(Strict):
    """Body of POST /client-projects: the 立項申請書 (ND-01)."""

    client_name: ShortText
    background: Text
    contact_channel: ShortText
    approach: Text
    product_line: ProductLine
    expected_annual_business: Money
    implementer_ids: list[ShortId] = Field(min_length=1, max_length=10)

    @field_validator("implementer_ids")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("implementer_ids must be unique")
        return v


# --- human steps: the bodies people send --------------------------------------------------


class ReviewBody(Strict):
    approved: bool
    note: Text | None = None


class BudgetLineIn(Strict):
    name: LineName
    amount: Money


class BudgetBody(Strict):
    phase: BudgetPhase
    lines: list[BudgetLineIn] = Field(min_length=1, max_length=50)

    @field_validator("lines")
    @classmethod
    def _unique(cls, v: list[BudgetLineIn]) -> list[BudgetLineIn]:
        if len({line.name for line in v}) != len(v):
            raise ValueError("budget line names must be unique")
        return v


class ExpenseBody(Strict):
    line: LineName
    amount: Money
    description: Text


class FollowUpBody(Strict):
    note: Text
    progress: Progress = Progress.none


class SupplyBody(Strict):
    month: Month
    amount: Money


class ContinueBody(Strict):
    """A continue-or-terminate decision (ND-07, ND-08); ``continue`` on the wire."""

    # read by either name, written by the alias (so the update's payload says ``continue``)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    continue_: bool = Field(alias="continue")
    note: Text | None = None


class AnnualReportBody(Strict):
    report: Text


class ReasonBody(Strict):
    reason: Text


class EmptyBody(Strict):
    note: Text | None = None


# --- human steps: what each update carries ------------------------------------------------

Body = TypeVar("Body", bound=Strict)


class ProjectStepInput(StepInput[Body]):
    """A project step's update input: who acts, the typed body, and the expense it is about
    (an expense decision's)."""

    expense_id: str | None = None


ReviewInput = ProjectStepInput[ReviewBody]
BudgetInput = ProjectStepInput[BudgetBody]
BudgetDecisionInput = ProjectStepInput[DecisionBody]
ExpenseInput = ProjectStepInput[ExpenseBody]
ExpenseDecisionInput = ProjectStepInput[DecisionBody]
FollowUpInput = ProjectStepInput[FollowUpBody]
SupplyInput = ProjectStepInput[SupplyBody]
CompletionInput = ProjectStepInput[EmptyBody]
StudyDecisionInput = ProjectStepInput[ContinueBody]
AnnualReportInput = ProjectStepInput[AnnualReportBody]
AnnualReportDecisionInput = ProjectStepInput[ContinueBody]
SuspendInput = ProjectStepInput[ReasonBody]
ResumeInput = ProjectStepInput[EmptyBody]
TerminateInput = ProjectStepInput[ReasonBody]
TerminateDecisionInput = ProjectStepInput[DecisionBody]
ChangeTermsInput = ProjectStepInput[TermsBody]


# --- activities ---------------------------------------------------------------------------


class Eligibility(BaseModel):
    """What the check_eligibility activity found (ND-01); its reason may name the client."""

    eligible: bool
    reason: Confidential | None = None
    existing_customer_id: str | None = None
    #: why the start is not proven to come through the API (None: it is, or was recorded
    #: before starts were proven)
    refusal: str | None = None


class HandOverInput(BaseModel):
    """ND-11: the client becomes a regular customer."""

    project_id: str
    client_name: Confidential


class HandOver(BaseModel):
    customer_id: str
    created: bool
