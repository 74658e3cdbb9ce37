"""Unit tests of the policy: every duration and amount in one object, set by POLICY_* env."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from config import Settings
from infra.bootstrap import Resources
from models.policy import ComplaintPolicy, PolicySettings, load_complaint_policy, load_project_policy
from starter.run import check_policy


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.upper().startswith("POLICY_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    "field, value",
    [
        ("plan_deadline", timedelta(minutes=30)),  # CP-08
        ("major_report_deadline", timedelta(hours=24)),  # CP-10
        ("resolution_deadline", timedelta(days=3)),  # CP-13
        ("revisit_deadline", timedelta(hours=24)),  # CP-15
        ("survey_wait", timedelta(days=7)),  # CP-16
        ("repeat_window", timedelta(days=30)),  # CP-06
        ("attitude_complaint_window", 1),  # CP-05: one calendar month
        ("compensation_leader_limit", Decimal(500)),  # CP-12
        ("compensation_manager_limit", Decimal(5000)),  # CP-12
    ],
)
def test_cp05_cp06_cp08_cp10_cp12_cp13_cp15_cp16_policy_defaults_are_the_seed_values(field, value):
    """CP-05/06/08/10/12/13/15/16: the defaults are the values of the rulebook."""
    assert getattr(ComplaintPolicy(), field) == value


def test_policy_duration_from_env_as_iso8601(clean_env):
    """POLICY_PLAN_DEADLINE=PT5M sets the plan deadline to 5 minutes."""
    clean_env.setenv("POLICY_PLAN_DEADLINE", "PT5M")
    assert PolicySettings().plan_deadline == timedelta(minutes=5)
    assert load_complaint_policy().plan_deadline == timedelta(minutes=5)


@pytest.mark.parametrize("raw, expected", [("300", timedelta(seconds=300)), ("90.5", timedelta(seconds=90.5))])
def test_policy_duration_from_env_as_seconds(clean_env, raw, expected):
    """POLICY_PLAN_DEADLINE=300 is read as seconds."""
    clean_env.setenv("POLICY_PLAN_DEADLINE", raw)
    assert PolicySettings().plan_deadline == expected


def test_policy_other_durations_from_env(clean_env):
    """Every duration is configurable the same way."""
    clean_env.setenv("POLICY_RESOLUTION_DEADLINE", "P1D")
    clean_env.setenv("POLICY_SURVEY_WAIT", "3600")
    p = PolicySettings()
    assert p.resolution_deadline == timedelta(days=1)
    assert p.survey_wait == timedelta(hours=1)
    assert p.plan_deadline == timedelta(minutes=30)  # untouched fields keep the default


def test_policy_amounts_from_env(clean_env):
    """POLICY_COMPENSATION_LEADER_LIMIT sets the leader's approval limit."""
    clean_env.setenv("POLICY_COMPENSATION_LEADER_LIMIT", "800")
    clean_env.setenv("POLICY_COMPENSATION_MANAGER_LIMIT", "8000.50")
    p = load_complaint_policy()
    assert type(p) is ComplaintPolicy
    assert p.compensation_leader_limit == Decimal("800")
    assert p.compensation_manager_limit == Decimal("8000.50")


def test_policy_negative_amount_from_env_is_rejected(clean_env):
    """An amount of the policy is never negative."""
    clean_env.setenv("POLICY_COMPENSATION_LEADER_LIMIT", "-1")
    with pytest.raises(ValidationError):
        PolicySettings()


def test_policy_bad_duration_from_env_is_rejected(clean_env):
    """A duration that is neither ISO 8601 nor seconds is refused, not guessed."""
    clean_env.setenv("POLICY_PLAN_DEADLINE", "half an hour")
    with pytest.raises(ValidationError):
        PolicySettings()


def test_policy_is_frozen_and_round_trips():
    """A running case keeps its terms: the policy is immutable and survives the
    JSON trip into the workflow input unchanged."""
    p = ComplaintPolicy(plan_deadline=timedelta(minutes=5), compensation_leader_limit=Decimal("750.25"))
    with pytest.raises(ValidationError):
        p.plan_deadline = timedelta(minutes=1)  # type: ignore[misc]
    again = ComplaintPolicy.model_validate_json(p.model_dump_json())
    assert again == p
    assert again.plan_deadline == timedelta(minutes=5)


def test_cp12_a_leader_limit_above_the_manager_limit_is_refused_at_start(clean_env, monkeypatch):
    """CP-12: with the leader's limit above the manager's, no compensation would ever reach the
    department manager: the policy is refused, and `make run` stops before starting anything,
    naming the rule and both limits."""
    with pytest.raises(ValidationError, match="CP-12"):
        ComplaintPolicy(compensation_leader_limit=Decimal(6000), compensation_manager_limit=Decimal(5000))
    ComplaintPolicy(compensation_leader_limit=Decimal(5000), compensation_manager_limit=Decimal(5000))  # equal: fine
    monkeypatch.setenv("POLICY_COMPENSATION_LEADER_LIMIT", "9000")
    with pytest.raises(SystemExit, match=r"invalid policy: .*CP-12.*9000.*5000"):
        check_policy()
    with pytest.raises(ValidationError, match="CP-12"):
        Resources(Settings())


def test_times_the_company_timezone_is_a_checked_iana_name(clean_env, monkeypatch):
    """Times and calendars: the company's timezone is Asia/Shanghai by default, set by
    POLICY_TIMEZONE for both families, and an unknown zone is refused at start."""
    assert load_complaint_policy().timezone == load_project_policy().timezone == "Asia/Shanghai"
    monkeypatch.setenv("POLICY_TIMEZONE", "Europe/Berlin")
    assert load_complaint_policy().timezone == load_project_policy().timezone == "Europe/Berlin"
    monkeypatch.setenv("POLICY_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(SystemExit, match="POLICY_TIMEZONE: .*unknown timezone"):
        check_policy()


def test_no_two_families_share_a_policy_setting_by_accident() -> None:
    """Every ``POLICY_*`` variable sets one family's term: a field two family policies both
    declare (other than the company's timezone and the calendar terms) would be set by one
    variable for both, and ``PolicySettings`` would give one of them the other's default."""
    from models.policy import (
        CalendarTerms,
        ComplaintPolicy,
        CustomerPolicy,
        InquiryPolicy,
        ProjectPolicy,
        RewardsPolicy,
    )

    shared = set(CalendarTerms.model_fields) | {"timezone"}
    seen: dict[str, str] = {}
    for family in (ComplaintPolicy, ProjectPolicy, RewardsPolicy, CustomerPolicy, InquiryPolicy):
        for name in set(family.model_fields) - shared:
            assert name not in seen, f"{name} is declared by {seen[name]} and {family.__name__}"
            seen[name] = family.__name__
