"""CC-06 "counted in the monthly report": the inquiries of a period in the CP-18 analysis
(received, answered, answered within the deadline and its share, still open, late, median time
to answer) are exactly the hand-computed ones of a fixed set, on SQLite and on PostgreSQL; the
complaint figures keep their keys and the CSV carries an ``inquiries`` section."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from models.report import ComplaintFigures, InquiryFigures, Period
from storage import tables as t
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.reports import complaint_figures, inquiry_figures
from tests.reports.test_complaint_figures import _pg_admin

TZ = "Asia/Shanghai"
H = timedelta(hours=1)


def inquiry(iid: str, received: str, *, answered_h: float | None = None, late: bool = False) -> dict[str, Any]:
    r = datetime.fromisoformat(received).replace(tzinfo=UTC)
    answered = r + answered_h * H if answered_h is not None else None
    return {
        "id": iid,
        "workflow_id": f"inquiry-{iid}",
        "customer_id": None,
        "channel": "phone",
        "receiver_id": "cs-1",
        "assignee_id": None,
        "status": "answered" if answered else "open",
        "late": late,
        "received_at": r,
        "due_at": r + 24 * H,
        "answered_at": answered,
        "seq": 2,
        "view": {},
    }


#: December 2031 in Shanghai is 2031-11-30T16:00Z to 2031-12-31T16:00Z.
INQUIRIES = [
    inquiry("Q-A", "2031-11-30T17:00:00", answered_h=2),  # 1 December in Shanghai: on time
    inquiry("Q-B", "2031-12-03T02:00:00", answered_h=23),  # on time
    inquiry("Q-C", "2031-12-04T02:00:00", answered_h=30, late=True),  # escalated, answered late
    inquiry("Q-D", "2031-12-05T02:00:00", late=True),  # escalated, still open
    inquiry("Q-E", "2031-12-31T10:00:00"),  # open, not yet due when the month ends
    inquiry("Q-F", "2031-11-30T15:00:00", answered_h=1),  # 30 November in Shanghai: not December
    inquiry("Q-G", "2031-12-31T16:30:00", answered_h=1),  # 1 January in Shanghai: not December
]


@pytest_asyncio.fixture(scope="module", params=["sqlite", "postgresql"])
async def inquiry_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('inq') / 'app.db'}"
    else:
        try:
            _pg_admin("SELECT 1")
        except Exception as e:  # noqa: BLE001
            pytest.skip(f"no PostgreSQL at 127.0.0.1:5432: {e}")
        name = f"inquiries_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    upgrade(url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(delete(t.table(t.Inquiry)))
        await conn.execute(insert(t.table(t.Inquiry)), INQUIRIES)
    yield engine
    await engine.dispose()
    if name:
        _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_cc06_the_months_inquiry_figures_are_the_hand_computed_ones(inquiry_engine: AsyncEngine) -> None:
    async with inquiry_engine.connect() as conn:
        q = await inquiry_figures(conn, Period.parse("2031-12", TZ))
        f = await complaint_figures(conn, Period.parse("2031-12", TZ))
    # A, B, C, D, E: received; A, B, C answered; A, B within 24 h; C and D late; D, E open
    assert (q.received, q.answered, q.open, q.late) == (5, 3, 2, 2)
    assert (q.within_deadline.met, q.within_deadline.breached, q.within_deadline.share) == (2, 2, 0.5)
    # answer times 2, 23, 30 hours: the median (nearest rank) is 23 h, the p90 30 h
    assert (q.time_to_answer.count, q.time_to_answer.median_hours, q.time_to_answer.p90_hours) == (3, 23.0, 30.0)
    assert f.inquiries == q and f.received == 0  # no complaint that month: the complaint figures are apart


async def test_cc06_a_period_without_inquiries_counts_none(inquiry_engine: AsyncEngine) -> None:
    async with inquiry_engine.connect() as conn:
        q = await inquiry_figures(conn, Period.parse("2031-10", TZ))
    assert q == InquiryFigures()
    assert q.within_deadline.share is None and q.time_to_answer.median_hours is None


def test_cc06_the_complaint_figures_keep_their_keys_and_add_an_inquiries_section() -> None:
    """Reports stored before inquiries still load (no ``inquiries``: none counted)."""
    keys = set(ComplaintFigures.model_fields)
    assert "inquiries" in keys and {"received", "by_category", "plan_within_deadline", "resolution_histogram"} <= keys
    assert ComplaintFigures.model_fields["inquiries"].default == InquiryFigures()
