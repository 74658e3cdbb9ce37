"""Unit tests of business calendars resolved at a case's start (issue 14; RULES.md "Times and
calendars"): the holidays library's Chinese holidays and make-up working days (調休), the data
file's corrections, the policy's calendar terms and what each clock counts (wall by default),
and the starter putting the concrete calendar in the case's input."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from infra.calendars import (
    CALENDAR_YEARS,
    CalendarFile,
    business_calendar,
    calendar_for,
    country_days,
    read_calendar_file,
    with_calendar,
)
from models.calendar import DEFAULT_WORKING_HOURS, BusinessCalendar, ClockTime, due_at, elapsed
from models.complaint.messages import ComplaintCreate, ComplaintInput
from models.policy import ComplaintPolicy, PolicySettings, ProjectPolicy, load_complaint_policy, load_project_policy
from models.project.messages import ProjectCreate
from models.project.state import ProjectInput
from models.staff import Directory
from starter.intake import intake_input, project_input
from starter.run import check_policy
from tests.conftest import STAFF_FILE

W = ClockTime.working
WORKING_PLAN = ComplaintPolicy(plan_clock_counts=ClockTime.working)
AUTUMN_2025 = datetime(2025, 9, 1, 2, 0, tzinfo=UTC)  # Monday 1 September 2025, 10:00 Beijing


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.upper().startswith("POLICY_"):
            monkeypatch.delenv(name)
    return monkeypatch


def data_file(tmp_path: Path, **days: list[str]) -> str:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(days), encoding="utf-8")
    return str(path)


def sh(*args: int) -> datetime:
    """A time on Beijing's clock (UTC+8), in UTC."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


# --- the holidays library: China ---------------------------------------------------------


def test_national_day_1_october_is_a_holiday_of_the_library_china_calendar():
    """National Day (國慶, 1 October) and the rest of the Golden Week are public holidays."""
    holidays, _ = country_days("CN", 2025)
    assert {date(2025, 10, d) for d in (1, 2, 3, 6, 7, 8)} <= holidays
    assert date(2025, 10, 1) in calendar_for(WORKING_PLAN, AUTUMN_2025).holidays


def test_a_make_up_working_day_of_the_library_is_a_workday():
    """The library knows China's make-up working days (weekend_workdays): Sunday 28 September and
    Saturday 11 October 2025 were worked in exchange for the Golden Week's extra days off."""
    _, workdays = country_days("CN", 2025)
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= workdays
    cal = calendar_for(WORKING_PLAN, AUTUMN_2025)
    assert {date(2025, 9, 28), date(2025, 10, 11)} <= set(cal.workdays)


def test_a_working_time_clock_waits_out_the_golden_week_and_runs_on_the_make_up_sunday():
    """Resolved end to end: an hour from Tuesday 30 September 2025 17:00 is half an hour that day
    and half an hour on Thursday 9 October (1-8 October off); from Saturday 27 September 17:00,
    the make-up Sunday 28 September counts."""
    cal = calendar_for(WORKING_PLAN, AUTUMN_2025)
    assert due_at(sh(2025, 9, 30, 17, 0), timedelta(hours=1), W, cal) == sh(2025, 10, 9, 9, 0)
    assert due_at(sh(2025, 9, 27, 17, 0), timedelta(hours=1), W, cal) == sh(2025, 9, 28, 9, 30)


def test_the_calendar_covers_two_years_from_the_case_start_and_nothing_before():
    """A case's calendar lists the dates from its start (the company's day) to two years later:
    a case started in September 2025 knows the 2027 Spring Festival, not 2025's, nor 2028's."""
    cal = calendar_for(WORKING_PLAN, AUTUMN_2025)
    assert CALENDAR_YEARS == 2
    assert min(cal.holidays) >= date(2025, 9, 1) and min(cal.workdays) >= date(2025, 9, 1)
    assert max(cal.holidays) <= date(2027, 9, 1)
    assert date(2027, 2, 6) in cal.holidays  # 2027 Spring Festival
    assert date(2025, 1, 29) not in cal.holidays


def test_the_calendar_takes_the_policy_timezone_and_working_hours():
    policy = ComplaintPolicy(
        plan_clock_counts=ClockTime.working, timezone="Europe/Berlin", working_hours={0: "09:00-17:00"}
    )
    cal = calendar_for(policy, AUTUMN_2025)
    assert cal.timezone == "Europe/Berlin"
    assert list(cal.hours) == [0]


def test_no_holiday_country_lists_no_library_holiday():
    cal = calendar_for(ComplaintPolicy(plan_clock_counts=W, holiday_country=""), AUTUMN_2025)
    assert cal.holidays == [] and cal.workdays == []


def test_an_unknown_holiday_country_is_refused():
    with pytest.raises(ValueError, match="not known to the holidays library"):
        calendar_for(ComplaintPolicy(plan_clock_counts=W, holiday_country="XX"), AUTUMN_2025)


# --- the data file -----------------------------------------------------------------------


def test_the_shipped_data_file_is_valid_and_changes_nothing():
    """data/calendar.json (the default POLICY_CALENDAR_FILE) reads, and is empty as shipped."""
    data = read_calendar_file("data/calendar.json")
    assert data.holidays == data.workdays == data.remove == []


def test_a_data_file_extra_holiday_is_a_day_off(tmp_path):
    """The company's own day off (a Monday the library does not know) is a holiday."""
    policy = WORKING_PLAN.model_copy(update={"calendar_file": data_file(tmp_path, holidays=["2025-09-15"])})
    cal = calendar_for(policy, AUTUMN_2025)
    assert date(2025, 9, 15) in cal.holidays
    assert elapsed(sh(2025, 9, 15, 0, 0), sh(2025, 9, 16, 0, 0), W, cal) == timedelta(0)


def test_a_data_file_extra_make_up_day_is_worked(tmp_path):
    policy = WORKING_PLAN.model_copy(update={"calendar_file": data_file(tmp_path, workdays=["2025-09-13"])})
    cal = calendar_for(policy, AUTUMN_2025)
    assert date(2025, 9, 13) in cal.workdays
    assert elapsed(sh(2025, 9, 13, 0, 0), sh(2025, 9, 14, 0, 0), W, cal) == timedelta(hours=7.5)


def test_a_data_file_removal_drops_a_library_holiday_and_a_library_make_up_day(tmp_path):
    """``remove`` takes dates out of the library's lists: 8 October 2025 is then a plain
    Wednesday (worked), 11 October a plain Saturday (not worked)."""
    file = data_file(tmp_path, remove=["2025-10-08", "2025-10-11"])
    cal = calendar_for(WORKING_PLAN.model_copy(update={"calendar_file": file}), AUTUMN_2025)
    assert date(2025, 10, 8) not in cal.holidays and date(2025, 10, 11) not in cal.workdays
    assert date(2025, 10, 7) in cal.holidays  # the others stay
    assert elapsed(sh(2025, 10, 8, 0, 0), sh(2025, 10, 9, 0, 0), W, cal) == timedelta(hours=7.5)
    assert elapsed(sh(2025, 10, 11, 0, 0), sh(2025, 10, 12, 0, 0), W, cal) == timedelta(0)


def test_the_data_file_wins_over_the_library():
    """A date the data file makes a make-up day is no holiday, and the other way round."""
    cal = business_calendar(
        timezone="Asia/Shanghai",
        hours=DEFAULT_WORKING_HOURS,
        country="CN",
        data=CalendarFile(holidays=[date(2025, 9, 28)], workdays=[date(2025, 10, 8)]),
        start=date(2025, 9, 1),
        end=date(2025, 12, 31),
    )
    assert date(2025, 9, 28) in cal.holidays and date(2025, 9, 28) not in cal.workdays
    assert date(2025, 10, 8) in cal.workdays and date(2025, 10, 8) not in cal.holidays


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"holidays": ["2025-13-01"]}', "calendar file"),
        ('{"holiday": ["2025-10-01"]}', "calendar file"),  # a misspelt key is not ignored
        ("not json", "calendar file"),
    ],
)
def test_a_bad_data_file_is_refused_naming_the_file(tmp_path, content, message):
    path = tmp_path / "calendar.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_calendar_file(path)


def test_a_missing_data_file_is_refused_and_an_empty_path_means_none(tmp_path):
    with pytest.raises(ValueError, match="calendar file"):
        read_calendar_file(tmp_path / "nowhere.json")
    assert read_calendar_file("") == CalendarFile()


# --- the policy: what each clock counts ---------------------------------------------------


def test_by_default_every_clock_counts_wall_time_and_no_calendar_is_resolved():
    """The seeds' meaning: 30 minutes are 30 minutes. No clock counts working time, so the
    starter leaves the policy as it is: no calendar, no file read."""
    for policy in (ComplaintPolicy(), ProjectPolicy(), load_complaint_policy(), load_project_policy()):
        assert set(policy.clock_counts().values()) == {ClockTime.wall}
        assert not policy.needs_calendar()
        assert with_calendar(policy) is policy and policy.calendar is None
    assert set(ComplaintPolicy().clock_counts()) == {"plan", "resolution", "major_report", "survey"}
    assert set(ProjectPolicy().clock_counts()) == {"budget", "follow_up", "attention", "study", "annual_review"}


def test_the_calendar_terms_defaults():
    """Monday-Friday 08:30-12:00 and 13:30-17:30 (the seeds name no office hours), China's
    holidays, data/calendar.json."""
    policy = ComplaintPolicy()
    assert policy.working_hours == DEFAULT_WORKING_HOURS
    assert policy.holiday_country == "CN"
    assert policy.calendar_file == "data/calendar.json"


@pytest.mark.parametrize(
    "env, clock, family",
    [
        ("POLICY_PLAN_CLOCK_COUNTS", "plan", "complaint"),
        ("POLICY_RESOLUTION_CLOCK_COUNTS", "resolution", "complaint"),
        ("POLICY_MAJOR_REPORT_CLOCK_COUNTS", "major_report", "complaint"),
        ("POLICY_SURVEY_CLOCK_COUNTS", "survey", "complaint"),
        ("POLICY_BUDGET_CLOCK_COUNTS", "budget", "project"),
        ("POLICY_FOLLOW_UP_CLOCK_COUNTS", "follow_up", "project"),
        ("POLICY_ATTENTION_CLOCK_COUNTS", "attention", "project"),
        ("POLICY_STUDY_CLOCK_COUNTS", "study", "project"),
        ("POLICY_ANNUAL_REVIEW_CLOCK_COUNTS", "annual_review", "project"),
    ],
)
def test_a_policy_setting_turns_a_clock_to_working_time(clean_env, env, clock, family):
    """POLICY_<CLOCK>_CLOCK_COUNTS=working makes that clock (and only it) count working time."""
    clean_env.setenv(env, "working")
    policy = load_complaint_policy() if family == "complaint" else load_project_policy()
    assert policy.counts(clock) is ClockTime.working
    assert [c for c, v in policy.clock_counts().items() if v is ClockTime.working] == [clock]
    assert policy.needs_calendar()


def test_calendar_terms_from_the_environment(clean_env):
    clean_env.setenv("POLICY_WORKING_HOURS", '{"0": "09:00-12:00, 13:00-18:00", "5": "09:00-12:00"}')
    clean_env.setenv("POLICY_HOLIDAY_COUNTRY", "hk")
    clean_env.setenv("POLICY_CALENDAR_FILE", "")
    policy = PolicySettings()
    assert sorted(policy.working_hours) == [0, 5]
    assert policy.holiday_country == "HK"
    assert policy.project_policy().working_hours == policy.working_hours


def test_an_invalid_calendar_setting_stops_make_run(clean_env):
    """make run refuses to start on a calendar it could not resolve (working time asked for)."""
    clean_env.setenv("POLICY_RESOLUTION_CLOCK_COUNTS", "working")
    clean_env.setenv("POLICY_HOLIDAY_COUNTRY", "XX")
    with pytest.raises(SystemExit, match="holidays library"):
        check_policy()
    clean_env.setenv("POLICY_WORKING_HOURS", '{"0": "12:00-08:00"}')
    with pytest.raises(SystemExit, match="POLICY_WORKING_HOURS"):
        check_policy()


# --- the starter: the case keeps its calendar ----------------------------------------------

DIRECTORY = Directory.from_file(STAFF_FILE)
COMPLAINT = ComplaintCreate.model_validate(
    {
        "channel": "phone",
        "complainant": {"name": "Han Meimei", "phone": "+86 13500000000"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "Late delivery",
    }
)
APPLICATION = ProjectCreate.model_validate(
    {
        "client_name": "Jiangsu Mining",
        "background": "b",
        "contact_channel": "fair",
        "approach": "visit",
        "product_line": "cast_ball",
        "expected_annual_business": "3000000",
        "implementer_ids": ["sales-1"],
    }
)


def _complaint(policy: ComplaintPolicy) -> ComplaintInput:
    receiver = DIRECTORY.get("cs-1")
    assert receiver is not None
    return intake_input("20250901-ABCDEF", COMPLAINT, receiver, DIRECTORY, policy, now=AUTUMN_2025)


def _project(policy: ProjectPolicy) -> ProjectInput:
    applicant = DIRECTORY.get("sales-1")
    assert applicant is not None
    return project_input("20250901-ABCDEF", APPLICATION, applicant, DIRECTORY, policy, now=AUTUMN_2025)


def test_intake_keeps_the_calendar_in_the_case_input_when_a_clock_counts_working_time():
    """The starter resolves the calendar once, at intake; the input carries concrete dates and
    survives the JSON of a workflow payload."""
    inp = _complaint(WORKING_PLAN)
    assert inp.policy.calendar is not None
    assert date(2025, 10, 1) in inp.policy.calendar.holidays
    assert ComplaintInput.model_validate_json(inp.model_dump_json()) == inp
    project = _project(ProjectPolicy(follow_up_clock_counts=ClockTime.working))
    assert project.policy.calendar is not None and date(2025, 9, 28) in project.policy.calendar.workdays
    assert ProjectInput.model_validate_json(project.model_dump_json()) == project


def test_intake_with_wall_time_clocks_carries_no_calendar():
    assert _complaint(ComplaintPolicy()).policy.calendar is None
    assert _project(ProjectPolicy()).policy.calendar is None


def test_a_calendar_already_in_the_policy_is_kept():
    own = BusinessCalendar(holidays=[date(2025, 9, 2)])
    assert _complaint(WORKING_PLAN.model_copy(update={"calendar": own})).policy.calendar == own


def test_an_input_from_before_issue_14_still_loads_with_wall_time_clocks():
    """A running case's input has none of the new fields: it loads, every clock wall time."""
    old = json.loads(_complaint(ComplaintPolicy()).model_dump_json())
    for field in (
        "working_hours",
        "holiday_country",
        "calendar_file",
        "calendar",
        "plan_clock_counts",
        "resolution_clock_counts",
        "major_report_clock_counts",
        "survey_clock_counts",
    ):
        del old["policy"][field]
    policy = ComplaintInput.model_validate(old).policy
    assert policy.calendar is None and not policy.needs_calendar()
    assert policy.working_hours == DEFAULT_WORKING_HOURS
