"""CC-07 the yearly survey campaign: every active customer (an account, not blacklisted) is
surveyed at least once a year. Once a year (``survey_campaign_month``, 1 October by default)
the campaign lists the active customers with no survey in the company's current calendar year
and tells each owner which of theirs to survey. Pure: the rows and the year's start are given."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from models.calendar import zone
from models.complaint.guards import CUSTOMER_SERVICE
from models.staff import Role, StaffRef


def survey_campaign_id(year: int | str) -> str:
    """The campaign of a year (its workflow id and the case_ref of what it writes)."""
    return f"survey-campaign-{year}"


#: The ``report`` rows of the campaign (``period``: the year).
REPORT_KIND = "survey-campaign"


def year_start(year: int, timezone: str) -> datetime:
    """1 January 00:00 of ``year`` on the company's clock, in UTC."""
    return datetime(year, 1, 1, tzinfo=zone(timezone)).astimezone(UTC)


class ActiveCustomer(BaseModel):
    """A customer as the campaign reads it (ids only)."""

    id: str
    owner_id: str | None
    department: str | None
    last_survey_at: datetime | None = None


class ToSurvey(BaseModel):
    customer_id: str
    owner_id: str | None
    department: str | None


class DepartmentFigures(BaseModel):
    active: int = 0
    surveyed: int = 0
    to_survey: int = 0


class CampaignFigures(BaseModel):
    """CC-07: the year's campaign: the active customers, those surveyed this year, those to
    survey, overall and by department."""

    year: int
    timezone: str
    active: int
    surveyed: int
    to_survey: int
    by_department: dict[str, DepartmentFigures]


class SurveyCampaign(BaseModel):
    """The campaign: its figures, and the customers to survey (by owner)."""

    figures: CampaignFigures
    customers: list[ToSurvey] = Field(default_factory=list)

    def by_owner(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in self.customers:
            out.setdefault(c.owner_id or "", []).append(c.customer_id)
        return out


def surveyed_this_year(c: ActiveCustomer, start: datetime) -> bool:
    """CC-07: a survey on or after 1 January of the campaign's year (company time)."""
    return c.last_survey_at is not None and c.last_survey_at >= start


def campaign_of(year: int, timezone: str, active: list[ActiveCustomer]) -> SurveyCampaign:
    """CC-07: of the active customers, those with no survey in ``year`` (none at all, or the
    last one before 1 January of the year on the company's clock), sorted by owner and id."""
    start = year_start(year, timezone)
    by_department: dict[str, DepartmentFigures] = {}
    todo: list[ToSurvey] = []
    surveyed = 0
    for c in active:
        d = by_department.setdefault(c.department or "", DepartmentFigures())
        d.active += 1
        if surveyed_this_year(c, start):
            d.surveyed += 1
            surveyed += 1
        else:
            d.to_survey += 1
            todo.append(ToSurvey(customer_id=c.id, owner_id=c.owner_id, department=c.department))
    todo.sort(key=lambda x: (x.owner_id or "", x.customer_id))
    figures = CampaignFigures(
        year=year,
        timezone=timezone,
        active=len(active),
        surveyed=surveyed,
        to_survey=len(todo),
        by_department=dict(sorted(by_department.items())),
    )
    return SurveyCampaign(figures=figures, customers=todo)


def owner_message(year: int, customer_ids: list[str]) -> str:
    """The inbox message of one owner: ids only."""
    return f"CC-07 survey campaign {year}: survey these customers this year: {', '.join(customer_ids)}"


class SurveyCampaignInput(BaseModel):
    """The campaign workflow's input: the year (company calendar) and the company's timezone."""

    year: int
    timezone: str


class ScheduledSurveyCampaign(BaseModel):
    """What the yearly schedule starts with; ``at`` stands for the scheduled time when started
    by hand."""

    timezone: str
    at: datetime | None = None


class CampaignDone(BaseModel):
    """What the campaign answers: its figures, and whether this run wrote them (a second run
    writes nothing)."""

    figures: CampaignFigures
    wrote: bool


def may_read_campaign(staff: StaffRef) -> bool:
    """CC-07: the campaign is read by supervisors and managers (customer service's, and each
    department's for its own customers) and the general manager."""
    return staff.role in (Role.supervisor, Role.manager, Role.general_manager)


def sees_every_department(staff: StaffRef) -> bool:
    """The general manager and customer service's supervisors and managers read every
    department's list; another department's read their own."""
    return staff.role is Role.general_manager or staff.department == CUSTOMER_SERVICE
