"""CP-18: the complaint analysis gives exactly the hand-computed figures of a fixed set of
cases, for a month and a week whose edges cross the UTC/Shanghai boundary, on SQLite and on
PostgreSQL; a re-run is a new version with its time; the managers are told in their inbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from activities.report import ReportActivities
from models.report import Period, ReportInput, report_csv
from storage import tables as t
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.reports import load_report
from tests.reports.cases import load_cases

TZ = "Asia/Shanghai"
STAFF = __import__("config").ROOT / "data" / "staff.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="module", params=["sqlite", "postgresql"])
async def report_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rep') / 'app.db'}"
        name = None
    else:
        try:
            _pg_admin("SELECT 1")
        except Exception as e:  # noqa: BLE001
            pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {e}")
        name = f"reports_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    engine = make_engine(url)
    await load_cases(engine)
    yield engine
    await engine.dispose()
    if name:
        _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def produce(engine: AsyncEngine, period: str) -> int:
    acts = ReportActivities(engine, STAFF)
    done = await ActivityEnvironment().run(acts.produce_complaint_report, ReportInput(period=period, timezone=TZ))
    return done.version


def test_cp18_periods_follow_the_company_timezone() -> None:
    """CP-18: a week starts Monday 00:00 and a month on its first day, in Shanghai."""
    month, week = Period.parse("2031-12", TZ), Period.parse("2031-W49", TZ)
    assert (month.start, month.end) == (datetime(2031, 11, 30, 16, tzinfo=UTC), datetime(2031, 12, 31, 16, tzinfo=UTC))
    assert (week.start, week.end) == (datetime(2031, 11, 30, 16, tzinfo=UTC), datetime(2031, 12, 7, 16, tzinfo=UTC))
    assert month.previous().name == "2031-11" and week.previous().name == "2031-W48"
    assert Period.parse("2032-01", TZ).previous().name == "2031-12"
    assert Period.parse("2032-W01", TZ).previous().name == "2031-W52"
    # a schedule firing Monday 00:00 / the 1st 00:00 in Shanghai reports the period just ended
    assert Period.ended_at(week.end, week.cadence, TZ).name == "2031-W49"
    assert Period.ended_at(month.end, month.cadence, TZ).name == "2031-12"
    for bad in ("2031-13", "2031-W54", "2031/12", "W49"):
        with pytest.raises(ValueError):
            Period.parse(bad, TZ)


async def test_cp18_month_figures_are_the_hand_computed_ones(report_engine: AsyncEngine) -> None:
    version = await produce(report_engine, "2031-12")
    async with report_engine.connect() as conn:
        report = await load_report(conn, "2031-12")
    assert report is not None and report.version == version
    f = report.figures
    # A, B, C, D (A is 1 December in Shanghai though 30 November in UTC; E is 1 January there)
    assert f.received == 4
    assert f.by_category == {"service": 2, "business": 2}
    assert f.by_subtype == {"timeliness": 1, "goods_discrepancy": 1}
    assert f.by_severity == {"general": 2, "important": 1, "major": 1}
    assert f.by_validity == {"valid": 3, "invalid": 1}
    assert f.by_channel == {"phone": 1, "email": 1, "hotline": 1, "walk_in": 1}
    assert f.by_target_kind == {"staff": 2, "department": 1, "product": 1}
    assert f.by_target == {"staff:ops-1": 2, "department:Logistics": 1}
    # plan runs: A met, B breached then met, C met, D stopped (not counted): 3 of 4
    assert (f.plan_within_deadline.met, f.plan_within_deadline.breached, f.plan_within_deadline.share) == (3, 1, 0.75)
    # resolution runs: A met, B breached twice, C met, D stopped: 2 of 4
    r = f.resolution_within_deadline
    assert (r.met, r.breached, r.share) == (2, 2, 0.5)
    # plan hours [0.25, 0.5, 1]: median the 2nd, p90 the 3rd (nearest rank)
    assert (f.time_to_plan.count, f.time_to_plan.median_hours, f.time_to_plan.p90_hours) == (3, 0.5, 1.0)
    assert (f.time_to_resolution.count, f.time_to_resolution.median_hours, f.time_to_resolution.p90_hours) == (
        3,
        30.0,
        80.0,
    )
    assert (f.time_to_close.count, f.time_to_close.median_hours, f.time_to_close.p90_hours) == (3, 20.0, 100.0)
    assert (f.resolved, f.reopened, f.reopen_rate) == (3, 1, round(1 / 3, 6))
    assert f.escalations_by_level == {"2": 1, "3": 1}
    assert {k: (m.count, m.amount) for k, m in f.compensation_approved.items()} == {
        "manager": (1, "1500.00"),
        "general_manager": (1, "20000.00"),
    }
    assert (f.satisfaction.answered, f.satisfaction.satisfied, f.satisfaction.mean_score) == (2, 1, 3.5)
    assert f.resolution_histogram == {"<4h": 0, "4-24h": 1, "1-2d": 1, "2-3d": 0, "3-7d": 1, ">=7d": 0}
    # the previous month holds F alone (30 November 23:30 in Shanghai)
    p = report.previous
    assert (p.period, p.received, p.by_category, p.time_to_resolution.median_hours) == (
        "2031-11",
        1,
        {"business": 1},
        5.0,
    )
    c = report.comparison
    assert (c["received"].current, c["received"].previous, c["received"].change) == (4, 1, 3)
    assert (c["satisfaction_mean_score"].current, c["satisfaction_mean_score"].previous) == (3.5, 4.0)
    assert c["compensation_approved_amount"].current == 21500.0 and c["compensation_approved_amount"].previous == 0
    assert c["time_to_resolution_p90_hours"].change == 75.0
    # January 2032 has E
    await produce(report_engine, "2032-01")
    async with report_engine.connect() as conn:
        jan = await load_report(conn, "2032-01")
    assert jan is not None and jan.figures.received == 1 and jan.figures.by_category == {"service": 1}


async def test_cp18_week_figures_are_the_hand_computed_ones(report_engine: AsyncEngine) -> None:
    await produce(report_engine, "2031-W49")
    async with report_engine.connect() as conn:
        report = await load_report(conn, "2031-W49")
    assert report is not None
    f = report.figures
    # A (Monday 01:00 in Shanghai) and D; F (Sunday 23:30 there) is the week before
    assert f.received == 2 and f.by_category == {"service": 2}
    assert f.by_channel == {"phone": 1, "walk_in": 1}
    assert (f.plan_within_deadline.met, f.plan_within_deadline.breached, f.plan_within_deadline.share) == (1, 0, 1.0)
    assert (f.time_to_close.median_hours, f.time_to_close.p90_hours) == (2.0, 20.0)
    assert f.compensation_approved == {} and f.escalations_by_level == {}
    assert (report.previous.period, report.previous.received) == ("2031-W48", 1)


async def test_cp18_a_rerun_is_a_new_version_with_the_same_figures_and_managers_are_told(
    report_engine: AsyncEngine,
) -> None:
    first = await produce(report_engine, "2031-12")
    second = await produce(report_engine, "2031-12")
    assert second == first + 1
    async with report_engine.connect() as conn:
        a, b = await load_report(conn, "2031-12", first), await load_report(conn, "2031-12", second)
        told = (
            await conn.execute(
                select(t.Notification.recipient_id).where(
                    t.Notification.case_ref == "report-complaints-2031-12", t.Notification.seq == second
                )
            )
        ).scalars()
        recipients = sorted(told)
    assert a is not None and b is not None and b.produced_at >= a.produced_at
    assert a.figures == b.figures and a.comparison == b.comparison
    assert recipients == ["cs-mgr", "gm"]
    csv = report_csv(b)
    lines = csv.splitlines()
    assert "headline,received,4,1" in lines and "by_target,staff:ops-1,2,1" in lines, csv
    assert "inquiries,received,0,0" in lines and "inquiries,time_to_answer_median_hours,," in lines, csv  # CC-06
