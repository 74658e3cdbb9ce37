"""Customer care's periodic work (issue 16): CC-04 the tier reviews and CC-07 the survey
campaigns, both started by their schedules (starter/schedules.py).

A department's tier review is read by its supervisors and managers and the general manager;
one of the department's supervisors or managers confirms it (``POST /tier-reviews/{id}/confirm``,
a Temporal update whose validator refuses anyone else, and a second confirmation). Tiers are
changed on each customer with ``POST /customers/{id}/tier`` before. The survey campaign of a
year is read by supervisors, managers and the general manager (another department's supervisor
sees the list of their own department).
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentStaff, Offset, SessionDep
from api.errors import ERRORS
from api.schemas import Problem, Unprocessable
from api.step_routes import StepRoutes
from api.steps import HumanStep
from models.staff import Role, Staff
from models.survey import REPORT_KIND, CampaignFigures, ToSurvey, may_read_campaign, sees_every_department
from models.tier_review.steps import STEPS
from models.tier_review.views import TierReviewView
from models.tier_review.vocabulary import REVIEWER_ROLES, ReviewStage, ReviewStep
from storage import tables as t
from workflows.care import TierReviewWorkflow

REVIEW_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "CC-04: not a supervisor or manager of the department, or not your step"},
    404: {"model": Problem, "description": "no such tier review"},
    409: {"model": Problem, "description": "CC-04: the review is confirmed already (the reason says)"},
    422: {"model": Unprocessable, "description": "bad input: the field and the problem are named"},
}
CAMPAIGN_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {"model": Problem, "description": "CC-07: not a supervisor, a manager or the general manager"},
    404: {"model": Problem, "description": "no survey campaign for that year"},
}
FORBIDDEN = "CC-04: a department's tier reviews are visible to its supervisors and managers and the general manager"
CAMPAIGN_FORBIDDEN = "CC-07: the survey campaign is visible to supervisors, managers and the general manager"

router = APIRouter(tags=["customer care"])
reviews = APIRouter(prefix="/tier-reviews")


def _reviewer_of(staff: Staff) -> bool:
    return staff.role in REVIEWER_ROLES


def _may_read(staff: Staff, department: str) -> bool:
    """CC-04: the department's supervisors and managers, and the general manager."""
    return staff.role is Role.general_manager or (_reviewer_of(staff) and staff.department == department)


async def _review(db: AsyncSession, review_id: str, staff: Staff) -> t.TierReview:
    if staff.role is not Role.general_manager and not _reviewer_of(staff):
        raise HTTPException(403, FORBIDDEN)
    row = await db.get(t.TierReview, review_id)
    if row is None:
        raise HTTPException(404, f"no tier review {review_id}")
    if not _may_read(staff, row.department):
        raise HTTPException(403, FORBIDDEN)
    return row


@reviews.get(
    "",
    response_model=list[TierReviewView],
    responses=REVIEW_ERRORS,
    summary="The tier reviews of your department (every department's for the general manager) (CC-04)",
)
async def list_tier_reviews(
    staff: CurrentStaff,
    db: SessionDep,
    period: Annotated[str | None, Query(max_length=20, description="a period such as 2026-H2")] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    stage: ReviewStage | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Any:
    r = t.TierReview
    q = select(r.view)
    if staff.role is not Role.general_manager:
        if not _reviewer_of(staff):
            raise HTTPException(403, FORBIDDEN)
        q = q.where(r.department == staff.department)
    if period is not None:
        q = q.where(r.period == period)
    if department is not None:
        q = q.where(r.department == department)
    if stage is not None:
        q = q.where(r.stage == stage.value)
    rows = await db.scalars(q.order_by(r.period.desc(), r.department).limit(limit).offset(offset))
    return list(rows)


@reviews.get(
    "/{review_id}", response_model=TierReviewView, responses=REVIEW_ERRORS, summary="A tier review as it is (CC-04)"
)
async def get_tier_review(review_id: str, staff: CurrentStaff, db: SessionDep) -> Any:
    return (await _review(db, review_id, staff)).view


async def _open_review(human: HumanStep, review_id: str, step: ReviewStep) -> t.TierReview:
    row = await _review(human.db, review_id, human.staff)
    if row.stage == ReviewStage.confirmed.value:
        confirmed_by = (row.view or {}).get("confirmed_by")
        raise HTTPException(409, f"CC-04: the tier review {review_id} is confirmed already (by {confirmed_by})")
    return row


def _step_input(human: HumanStep, step: ReviewStep, body: BaseModel, extra: dict[str, Any]) -> BaseModel:
    return STEPS[step].input(actor=human.staff.ref, body=body)


STEP_ROUTES = StepRoutes(
    reviews,
    STEPS,
    TierReviewWorkflow,
    "review_id",
    "tier_review",
    REVIEW_ERRORS,
    _open_review,
    _step_input,
    closed="the tier review is over",
    optional_body=(ReviewStep.confirm,),
)
STEP_ROUTES.add(
    [
        (
            ReviewStep.confirm,
            "confirm",
            "A supervisor or manager of the department confirms its tiers; the review is filed (CC-04)",
        )
    ]
)
router.include_router(reviews)


# --- CC-07 --------------------------------------------------------------------------------


class SurveyCampaignOut(BaseModel):
    """GET /survey-campaigns/{year}: the year's figures, and the customers to survey (ids,
    owners, departments)."""

    year: int
    produced_at: datetime
    figures: CampaignFigures
    customers: list[ToSurvey]


@router.get(
    "/survey-campaigns/{year}",
    response_model=SurveyCampaignOut,
    responses=CAMPAIGN_ERRORS,
    summary="The year's survey campaign: active customers, surveyed, to survey, by department and owner (CC-07)",
)
async def get_survey_campaign(
    year: Annotated[int, Path(ge=2000, le=9998, description="the company's calendar year")],
    staff: CurrentStaff,
    db: SessionDep,
) -> Any:
    if not may_read_campaign(staff.ref):
        raise HTTPException(403, CAMPAIGN_FORBIDDEN)
    row = await db.scalar(
        select(t.Report).where(t.Report.kind == REPORT_KIND, t.Report.period == str(year)).order_by(t.Report.version)
    )
    if row is None:
        raise HTTPException(404, f"CC-07: no survey campaign for {year}")
    figures = CampaignFigures.model_validate(row.figures["figures"])
    customers = [ToSurvey.model_validate(c) for c in row.figures.get("customers", [])]
    if not sees_every_department(staff.ref):
        customers = [c for c in customers if c.department == staff.department]
    return SurveyCampaignOut(year=year, produced_at=row.produced_at, figures=figures, customers=customers)
