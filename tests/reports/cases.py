"""CP-18: a fixed set of complaints with known figures (hand-computed in the tests), written
straight into the projection and case_clock tables of a migrated database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import tables as t

H = timedelta(hours=1)


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def case(
    cid: str,
    received: str,
    *,
    category: str | None,
    subtype: str | None = None,
    severity: str = "general",
    validity: str | None = "valid",
    channel: str = "phone",
    target: tuple[str, str | None] = ("staff", "ops-1"),
    plan_h: float | None = None,
    resolved_h: float | None = None,
    closed_h: float | None = None,
    reopen: int = 0,
    level: int = 0,
    compensation: tuple[str, str, str] | None = None,
    satisfied: bool | None = None,
    score: int | None = None,
    clocks: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    r = at(received)
    row = {
        "id": cid,
        "workflow_id": f"complaint-{cid}",
        "status": "closed" if closed_h is not None else "resolved" if resolved_h is not None else "in_progress",
        "severity": severity,
        "category": category,
        "channel": channel,
        "handler_id": "cs-1",
        "first_responder_id": "cs-1",
        "target_staff_id": target[1] if target[0] == "staff" else None,
        "customer_id": "C-1001",  # the complainant: never a report's target
        "complainant_phone": "13800000000",
        "escalation_level": level,
        "received_at": r,
        "next_due_at": None,
        "closed_at": r + closed_h * H if closed_h is not None else None,
        "archived": False,
        "case_file": None,
        "seq": 1,
        "view": {},
        "subtype": subtype,
        "validity": validity,
        "target_kind": target[0],
        "target_ref": target[1],
        "plan_recorded_at": r + plan_h * H if plan_h is not None else None,
        "resolved_at": r + resolved_h * H if resolved_h is not None else None,
        "reopen_count": reopen,
        "compensation_status": compensation[0] if compensation else None,
        "compensation_level": compensation[1] if compensation else None,
        "compensation_amount": Decimal(compensation[2]) if compensation else None,
        "satisfied": satisfied,
        "score": score,
    }
    runs = [
        {
            "case_ref": f"complaint-{cid}",
            "n": n,
            "clock": clock,
            "started_at": r,
            "allowed_seconds": 1800.0,
            "due_at": r + H,
            "outcome": outcome,
            "ended_at": r + H,
            "fulfilled_at": None,
            "used_seconds": None,
            "lateness_seconds": None,
            "pauses": [],
            "warnings": [],
            "seq": 1,
        }
        for n, (clock, outcome) in enumerate(clocks)
    ]
    return row, runs


#: Company timezone Asia/Shanghai (UTC+8). December 2031 there is 2031-11-30T16:00Z to
#: 2031-12-31T16:00Z; ISO week 2031-W49 is Monday 1 December 00:00 (2031-11-30T16:00Z) to
#: Monday 8 December 00:00.
CASES = [
    # A: 1 December 01:00 in Shanghai, still 30 November in UTC: December, week 49
    case(
        "R-A", "2031-11-30T17:00:00", category="service", channel="phone", target=("staff", "ops-1"),
        plan_h=0.25, resolved_h=10, closed_h=20, satisfied=True, score=5,
        clocks=[("plan", "met"), ("resolution", "met")],
    ),
    # B: reopened once, escalated to level 2, compensation approved by a manager
    case(
        "R-B", "2031-12-10T02:00:00", category="business", subtype="timeliness", severity="important",
        channel="email", target=("department", "Logistics"), plan_h=1, resolved_h=80, closed_h=100, reopen=1,
        level=2, compensation=("approved", "manager", "1500.00"), satisfied=False, score=2,
        clocks=[("plan", "breached"), ("resolution", "breached"), ("plan", "met"), ("resolution", "breached")],
    ),
    # C: major, level 3, compensation approved by the general manager, resolved, not closed
    case(
        "R-C", "2031-12-20T08:00:00", category="business", subtype="goods_discrepancy", severity="major",
        channel="hotline", target=("staff", "ops-1"), plan_h=0.5, resolved_h=30, level=3,
        compensation=("approved", "general_manager", "20000.00"),
        clocks=[("plan", "met"), ("resolution", "met"), ("major_report", "met")],
    ),
    # D: invalid, closed after 2 hours; its target a product (not a department or staff member)
    case(
        "R-D", "2031-12-05T04:00:00", category="service", validity="invalid", channel="walk_in",
        target=("product", "Widget"), closed_h=2, compensation=("rejected", "leader", "100.00"),
        clocks=[("plan", "stopped"), ("resolution", "stopped")],
    ),
    # E: 1 January 2032 00:30 in Shanghai, still 31 December in UTC: January, not December
    case("R-E", "2031-12-31T16:30:00", category="service", plan_h=0.1, clocks=[("plan", "met")]),
    # F: 30 November 23:30 in Shanghai (a Sunday): November and week 48, not December nor week 49
    case(
        "R-F", "2031-11-30T15:30:00", category="business", subtype="other", plan_h=0.2, resolved_h=5,
        satisfied=True, score=4, clocks=[("plan", "met"), ("resolution", "met")],
    ),
]  # fmt: skip


async def load_cases(engine: AsyncEngine) -> None:
    """Write the cases (again: rows of an earlier call are replaced)."""
    refs = [row["workflow_id"] for row, _ in CASES]
    async with engine.begin() as conn:
        await conn.execute(delete(t.table(t.CaseClock)).where(t.CaseClock.case_ref.in_(refs)))
        await conn.execute(delete(t.table(t.Complaint)).where(t.Complaint.workflow_id.in_(refs)))
        await conn.execute(insert(t.table(t.Complaint)), [row for row, _ in CASES])
        await conn.execute(insert(t.table(t.CaseClock)), [run for _, runs in CASES for run in runs])
