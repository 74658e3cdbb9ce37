"""Every duration, threshold and amount the rules use, in one place.

The defaults are the values of ../shared/seeds (see RULES.md). Each field can be set from the
environment with the ``POLICY_`` prefix (``POLICY_PLAN_DEADLINE=PT30M`` or ``=1800`` seconds).
The starter resolves the policy once and passes the concrete values inside the workflow input,
so a running case keeps the terms it started with and a configuration change never breaks
replay.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.calendar import (
    DEFAULT_TIMEZONE,
    BusinessCalendar,
    ClockTime,
    Timezone,
    WorkingHours,
    default_working_hours,
    due_at,
)
from models.clock import warning_points


def _seconds_or_iso(value: Any) -> Any:
    if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        return float(value)
    return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("a policy duration must be positive")
    return value


Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso), AfterValidator(_positive)]


def _calendar_months(value: Any) -> Any:
    """Calendar months: ``1``, ``"1"`` or ``"P1M"``; a duration (``"P30D"``, as the policy of
    cases started before CP-05 counted calendar months carried it) is read as whole months of
    30 days, at least one."""
    if isinstance(value, str):
        raw = value.strip().upper()
        if raw.isdigit():
            return int(raw)
        if raw.startswith("P") and raw.endswith("M") and raw[1:-1].isdigit():
            return int(raw[1:-1])
        value = TypeAdapter(timedelta).validate_python(raw)
    if isinstance(value, timedelta):
        return max(1, round(value / timedelta(days=30)))
    return value


#: Warning points of a clock (issue 14): fractions of its allowed time, each a durable timer
#: that tells the owner (the last one their leader too) before the clock runs out.
WarningPoints = Annotated[list[float], AfterValidator(warning_points)]

#: The default warning points of the SLA clocks: halfway and at 80 % (defaults, not seeds).
DEFAULT_WARNINGS = [0.5, 0.8]


def _warnings(clock: str, default: list[float] | None = None) -> Any:
    points = DEFAULT_WARNINGS if default is None else default
    return Field(
        default_factory=lambda: list(points),
        description=f"issue 14: warning points of the {clock} clock, fractions of its allowed time "
        f"(default {points}), JSON: [0.5, 0.8]",
    )


CalendarMonths = Annotated[int, BeforeValidator(_calendar_months), Field(ge=1, le=120)]
Amount = Annotated[Decimal, Field(ge=0)]

#: A country whose public holidays (and make-up working days) the calendar takes from the
#: ``holidays`` library: an ISO 3166 alpha-2 code (``CN``), or empty for none.
HolidayCountry = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
    Field(pattern=r"^([A-Z]{2})?$"),
]


def _counts(clock: str) -> Any:
    return Field(
        ClockTime.wall,
        description=f"{clock}: what the clock counts, wall time (the seeds') or working time (the calendar's)",
    )


class CalendarTerms(BaseModel):
    """What working time is, for the clocks that count it (issue 14; "Times and calendars"):
    working hours on the company's clock (``timezone``), the country whose public holidays and
    make-up working days apply, and a data file that adds or removes dates. The starter turns
    these into ``calendar``, the concrete calendar the case keeps (infra/calendars.py), when
    one of the family's clocks counts working time; every clock counts wall time by default."""

    model_config = ConfigDict(frozen=True)

    working_hours: WorkingHours = Field(
        default_factory=default_working_hours,
        description='working hours per weekday (0 Monday … 6 Sunday), JSON: {"0": "08:30-12:00,13:30-17:30", …}; '
        "default Monday-Friday 08:30-12:00 and 13:30-17:30",
    )
    holiday_country: HolidayCountry = Field(
        "CN", description="public holidays and make-up working days of this country (holidays library); empty: none"
    )
    calendar_file: str = Field(
        "data/calendar.json",
        description="extra holidays and make-up working days, and dates to remove (relative to the project root)",
    )
    calendar: BusinessCalendar | None = Field(
        None, description="the concrete calendar a case keeps, resolved by the starter (not an environment setting)"
    )

    def clock_counts(self) -> dict[str, ClockTime]:
        """What each clock of the family counts, by clock name."""
        return {}

    def counts(self, clock: str) -> ClockTime:
        """What the clock named ``clock`` (a ``Clock`` of the family) counts (wall time for a
        clock with no setting of its own, such as the customer wait)."""
        return self.clock_counts().get(clock, ClockTime.wall)

    def due(self, clock: str, start: datetime, allowed: timedelta) -> datetime:
        """When the clock named ``clock``, started at ``start`` with ``allowed`` time, runs out:
        in wall time, or in the case's working time when the clock counts it (issue 14)."""
        return due_at(start, allowed, self.counts(clock), self.calendar)

    def needs_calendar(self) -> bool:
        """Whether any clock counts working time (the starter then resolves ``calendar``)."""
        return ClockTime.working in self.clock_counts().values()


class ComplaintPolicy(CalendarTerms):
    """Durations and amounts of the complaint lifecycle (CP rules)."""

    model_config = ConfigDict(frozen=True)

    plan_deadline: Duration = Field(timedelta(minutes=30), description="CP-08 handling plan")
    major_report_deadline: Duration = Field(timedelta(hours=24), description="CP-10 major report")
    resolution_deadline: Duration = Field(timedelta(days=3), description="CP-13 resolution")
    revisit_deadline: Duration = Field(timedelta(hours=24), description="CP-15 revisit")
    survey_wait: Duration = Field(timedelta(days=7), description="CP-16 unanswered survey")
    max_customer_wait: Duration = Field(
        timedelta(days=7),
        description="issue 14: the longest a case waits on the customer before its owner and their "
        "leader are told (a default: the seeds set none)",
    )
    plan_warnings: WarningPoints = _warnings("plan (CP-08)")
    resolution_warnings: WarningPoints = _warnings("resolution (CP-13)")
    major_report_warnings: WarningPoints = _warnings("major-report (CP-10)")
    #: the survey clock waits on the complainant (CP-16): nothing to warn anyone of by default
    survey_warnings: WarningPoints = _warnings("survey (CP-16)", [])
    customer_wait_warnings: WarningPoints = _warnings("customer-wait", [0.8])
    repeat_window: Duration = Field(timedelta(days=30), description="CP-06 repeat complaint")
    attitude_complaint_window: CalendarMonths = Field(
        1, description="CP-05 late service-attitude complaint: calendar months after the incident"
    )
    compensation_leader_limit: Amount = Field(Decimal(500), description="CP-12 leader approves")
    compensation_manager_limit: Amount = Field(Decimal(5000), description="CP-12 manager approves")
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description="the company's day, month and year (case files, ids)")
    plan_clock_counts: ClockTime = _counts("CP-08 handling plan")
    resolution_clock_counts: ClockTime = _counts("CP-13 resolution")
    major_report_clock_counts: ClockTime = _counts("CP-10 major report")
    survey_clock_counts: ClockTime = _counts("CP-16 unanswered survey")

    def clock_counts(self) -> dict[str, ClockTime]:
        """What each complaint clock (``models.complaint.vocabulary.Clock``) counts."""
        return {
            "plan": self.plan_clock_counts,
            "resolution": self.resolution_clock_counts,
            "major_report": self.major_report_clock_counts,
            "survey": self.survey_clock_counts,
        }

    def warning_points(self) -> dict[str, list[float]]:
        """Issue 14: each clock's warning points (models.complaint.vocabulary.Clock names)."""
        return {
            "plan": self.plan_warnings,
            "resolution": self.resolution_warnings,
            "major_report": self.major_report_warnings,
            "survey": self.survey_warnings,
            "customer_wait": self.customer_wait_warnings,
        }

    @model_validator(mode="after")
    def _levels_in_order(self) -> ComplaintPolicy:
        """CP-12: the leader's limit is below the manager's, or the manager level is unreachable."""
        if self.compensation_leader_limit > self.compensation_manager_limit:
            raise ValueError(
                f"CP-12: compensation_leader_limit ({self.compensation_leader_limit}) is above "
                f"compensation_manager_limit ({self.compensation_manager_limit}): no compensation "
                "would ever go to the department manager"
            )
        return self


class ProjectPolicy(CalendarTerms):
    """Durations, thresholds and amounts of the new-client development project (ND rules)."""

    model_config = ConfigDict(frozen=True)

    cast_ball_threshold: Amount = Field(
        Decimal(3_000_000), description="ND-01 expected annual business, cast-ball products"
    )
    equipment_threshold: Amount = Field(Decimal(1_000_000), description="ND-01 expected annual business, equipment")
    other_line_thresholds: dict[str, Amount] = Field(
        default_factory=dict,
        description='ND-01 more product lines and their thresholds, JSON: {"valves": 500000}',
    )
    budget_cap_before_breakthrough: Amount = Field(
        Decimal(30_000), description="ND-03 budget total before a substantive breakthrough"
    )
    expense_tolerance: Annotated[Decimal, Field(ge=0, le=1)] = Field(
        Decimal("0.05"), description="ND-04 an expense may exceed its budget line by this share"
    )
    budget_deadline: Duration = Field(timedelta(days=7), description="ND-03 budget after approval")
    follow_up_interval: Duration = Field(timedelta(days=30), description="ND-05 follow-up record")
    attention_after: Duration = Field(timedelta(days=90), description="ND-06 special attention")
    study_after: Duration = Field(timedelta(days=180), description="ND-07 special study")
    annual_review_after: Duration = Field(timedelta(days=365), description="ND-08 annual review")
    budget_warnings: WarningPoints = _warnings("budget (ND-03)")
    follow_up_warnings: WarningPoints = _warnings("follow-up (ND-05)")
    attention_warnings: WarningPoints = _warnings("special-attention (ND-06)", [0.8])
    study_warnings: WarningPoints = _warnings("special-study (ND-07)", [0.8])
    annual_review_warnings: WarningPoints = _warnings("annual-review (ND-08)", [0.8])
    supply_months_to_complete: int = Field(
        3, ge=1, le=24, description="ND-08/ND-11 consecutive months of supply: the standard"
    )
    # ND-08/ND-11: the monthly batch amount of a line is not fixed by the seeds (月度批量供應:
    # left blank): these defaults are about a twelfth of each line's ND-01 annual threshold,
    # rounded up to the next 5,000; a line with no batch amount of its own uses a twelfth of its
    # threshold.
    cast_ball_monthly_batch: Amount = Field(
        Decimal(250_000), description="ND-08/ND-11 a month of supply counts from this amount, cast-ball products"
    )
    equipment_monthly_batch: Amount = Field(
        Decimal(85_000), description="ND-08/ND-11 a month of supply counts from this amount, equipment"
    )
    other_line_monthly_batches: dict[str, Amount] = Field(
        default_factory=dict,
        description='ND-08/ND-11 more product lines and their monthly batch amounts, JSON: {"valves": 45000}',
    )
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description="the company's day, month and year (months of supply)")
    budget_clock_counts: ClockTime = _counts("ND-03 budget")
    follow_up_clock_counts: ClockTime = _counts("ND-05 follow-up")
    attention_clock_counts: ClockTime = _counts("ND-06 special attention")
    study_clock_counts: ClockTime = _counts("ND-07 special study")
    annual_review_clock_counts: ClockTime = _counts("ND-08 annual review")

    def clock_counts(self) -> dict[str, ClockTime]:
        """What each project clock (``models.project.vocabulary.Clock``) counts."""
        return {
            "budget": self.budget_clock_counts,
            "follow_up": self.follow_up_clock_counts,
            "attention": self.attention_clock_counts,
            "study": self.study_clock_counts,
            "annual_review": self.annual_review_clock_counts,
        }

    def warning_points(self) -> dict[str, list[float]]:
        """Issue 14: each clock's warning points (models.project.vocabulary.Clock names)."""
        return {
            "budget": self.budget_warnings,
            "follow_up": self.follow_up_warnings,
            "attention": self.attention_warnings,
            "study": self.study_warnings,
            "annual_review": self.annual_review_warnings,
        }

    def thresholds(self) -> dict[str, Decimal]:
        """ND-01: every configured product line and its threshold."""
        return {
            "cast_ball": self.cast_ball_threshold,
            "equipment": self.equipment_threshold,
            **self.other_line_thresholds,
        }

    def monthly_batch(self, product_line: str) -> Decimal | None:
        """ND-08/ND-11: the supply a month needs to count toward the standard: the line's own
        batch amount, else a twelfth of its ND-01 threshold (None: a line with neither)."""
        batches = {
            "cast_ball": self.cast_ball_monthly_batch,
            "equipment": self.equipment_monthly_batch,
            **self.other_line_monthly_batches,
        }
        if product_line in batches:
            return batches[product_line]
        threshold = self.thresholds().get(product_line)
        return None if threshold is None else (threshold / 12).quantize(Decimal("0.01"))


class RewardsPolicy(BaseModel):
    """ND-12 year-end rewards: how long each step of the chain may take (defaults, not seeds:
    the seed clause sets no time) and how often a late step is reminded again."""

    model_config = ConfigDict(frozen=True)

    reward_propose_deadline: Duration = Field(timedelta(days=14), description="ND-12 the review group proposes")
    reward_review_deadline: Duration = Field(timedelta(days=14), description="ND-12 finance reviews")
    reward_decide_deadline: Duration = Field(timedelta(days=14), description="ND-12 the chairman decides")
    reward_reminder_interval: Duration = Field(
        timedelta(days=7), description="ND-12 a step past its deadline is reminded again after this long"
    )
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description="the company's year (which projects a year totals)")


Share = Annotated[Decimal, Field(gt=0, le=1)]


class CustomerPolicy(CalendarTerms):
    """Customer care (CC rules): every cadence, deadline and share of a customer account.
    Cadences are calendar months on the company's clock (RULES.md "Times and calendars"); the
    report and downgrade deadlines count wall time or the calendar's working time."""

    model_config = ConfigDict(frozen=True)

    revisit_first_year_months: CalendarMonths = Field(
        1, description="CC-01 revisit a delivered project every N months in its first year"
    )
    revisit_later_months: CalendarMonths = Field(3, description="CC-01 revisit every N months after the first year")
    revisit_first_period_months: CalendarMonths = Field(12, description="CC-01 the first year of a delivered project")
    visit_report_deadline: Duration = Field(timedelta(days=2), description="CC-02 a visit report is due within this")
    revisit_report_days: int = Field(
        1,
        ge=0,
        le=30,
        description="CC-02 a revisit report is due by the end of this many days after the revisit (the next day)",
    )
    credit_report_months_a: CalendarMonths = Field(
        6, description="CC-03 credit report of a class-A customer, every N months"
    )
    credit_report_months_b: CalendarMonths = Field(
        3, description="CC-03 credit report of a class-B customer, every N months"
    )
    credit_report_months_c: CalendarMonths = Field(
        1, description="CC-03 credit report of a class-C customer, every N months"
    )
    credit_report_months_d: CalendarMonths = Field(
        1, description="CC-03 credit report of a class-D customer, every N months"
    )
    vip_share_max: Share = Field(
        Decimal("0.15"), description="CC-04 VIP customers: at most this share of a department's"
    )
    preferred_share_max: Share = Field(
        Decimal("0.30"), description="CC-04 preferred customers: at most this share of a department's"
    )
    vip_downgrade_deadline: Duration = Field(
        timedelta(days=5), description="CC-04 a VIP with a problem is downgraded within this"
    )
    tier_review_months: CalendarMonths = Field(
        6, description="CC-04 the tier review of every department, every N months"
    )
    tier_review_deadline: Duration = Field(
        timedelta(days=14), description="CC-04 the supervisor confirms the review within this"
    )
    tier_review_reminder_interval: Duration = Field(
        timedelta(days=7), description="CC-04 a review not confirmed in time: reminded again every this"
    )
    unserved_after_months: CalendarMonths = Field(
        3, description="CC-05 no service for N months: the supervisor may reassign"
    )
    survey_every_months: CalendarMonths = Field(12, description="CC-07 a satisfaction survey at least every N months")
    survey_campaign_month: int = Field(
        10, ge=1, le=12, description="CC-07 the yearly survey campaign starts on the 1st of this month (company time)"
    )
    marketing_department: str = Field(
        "marketing", min_length=1, description="CC-04 the division that keeps the company blacklist"
    )
    revisit_warnings: WarningPoints = _warnings("revisit (CC-01)", [0.8])
    visit_report_warnings: WarningPoints = _warnings("visit-report (CC-02)", [0.5])
    credit_report_warnings: WarningPoints = _warnings("credit-report (CC-03)", [0.8])
    downgrade_warnings: WarningPoints = _warnings("VIP downgrade (CC-04)", [0.6])
    service_warnings: WarningPoints = _warnings("service (CC-05)", [0.8])
    customer_survey_warnings: WarningPoints = _warnings("survey (CC-07)", [0.9])
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description="the company's day and month (the cadences)")
    visit_report_clock_counts: ClockTime = _counts("CC-02 visit report")
    downgrade_clock_counts: ClockTime = _counts("CC-04 VIP downgrade")

    def clock_counts(self) -> dict[str, ClockTime]:
        """What each customer clock counts: the day deadlines as set; the calendar-month
        cadences (revisit, credit report, service, survey) count calendar months."""
        return {"visit_report": self.visit_report_clock_counts, "downgrade": self.downgrade_clock_counts}

    def warning_points(self) -> dict[str, list[float]]:
        """Each customer clock's warning points (models.customer.vocabulary.Clock names)."""
        return {
            "revisit": self.revisit_warnings,
            "visit_report": self.visit_report_warnings,
            "credit_report": self.credit_report_warnings,
            "downgrade": self.downgrade_warnings,
            "service": self.service_warnings,
            "survey": self.customer_survey_warnings,
        }

    def credit_report_months(self, credit_class: str) -> int:
        """CC-03: how many months apart a class's credit reports are (A 6, B 3, C and D 1)."""
        return {
            "A": self.credit_report_months_a,
            "B": self.credit_report_months_b,
            "C": self.credit_report_months_c,
            "D": self.credit_report_months_d,
        }[credit_class]


class InquiryPolicy(CalendarTerms):
    """CC-06: an inquiry is answered within 24 hours of its receipt (seeds 002 3.1, 快速响应)."""

    model_config = ConfigDict(frozen=True)

    inquiry_answer_deadline: Duration = Field(timedelta(hours=24), description="CC-06 an inquiry's answer")
    inquiry_answer_warnings: WarningPoints = _warnings("inquiry answer (CC-06)")
    inquiry_answer_clock_counts: ClockTime = _counts("CC-06 inquiry answer")
    timezone: Timezone = Field(DEFAULT_TIMEZONE, description="the company's day (inquiry ids, the monthly report)")

    def clock_counts(self) -> dict[str, ClockTime]:
        """What the inquiry's clock (``models.inquiry.vocabulary.Clock``) counts."""
        return {"answer": self.inquiry_answer_clock_counts}

    def warning_points(self) -> dict[str, list[float]]:
        """Issue 14: the answer clock's warning points (CC-06)."""
        return {"answer": self.inquiry_answer_warnings}


class PolicySettings(ComplaintPolicy, ProjectPolicy, RewardsPolicy, CustomerPolicy, InquiryPolicy, BaseSettings):
    """The policy read from ``POLICY_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="POLICY_", extra="ignore", frozen=True)

    def complaint_policy(self) -> ComplaintPolicy:
        return ComplaintPolicy(**self.model_dump(include=set(ComplaintPolicy.model_fields)))

    def project_policy(self) -> ProjectPolicy:
        return ProjectPolicy(**self.model_dump(include=set(ProjectPolicy.model_fields)))

    def rewards_policy(self) -> RewardsPolicy:
        return RewardsPolicy(**self.model_dump(include=set(RewardsPolicy.model_fields)))

    def customer_policy(self) -> CustomerPolicy:
        return CustomerPolicy(**self.model_dump(include=set(CustomerPolicy.model_fields)))

    def inquiry_policy(self) -> InquiryPolicy:
        return InquiryPolicy(**self.model_dump(include=set(InquiryPolicy.model_fields)))


def load_complaint_policy() -> ComplaintPolicy:
    """The complaint policy as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().complaint_policy()


def load_project_policy() -> ProjectPolicy:
    """The project policy as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().project_policy()


def load_rewards_policy() -> RewardsPolicy:
    """The rewards policy as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().rewards_policy()


def load_customer_policy() -> CustomerPolicy:
    """The customer-care policy as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().customer_policy()


def load_inquiry_policy() -> InquiryPolicy:
    """The inquiry policy (CC-06) as the environment sets it now (for starters, never for workflows)."""
    return PolicySettings().inquiry_policy()
