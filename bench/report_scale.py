"""CP-18 at scale: the monthly complaint analysis over N closed complaints generated straight
into the database (SQLite and PostgreSQL): the time to produce it and the peak memory of the
process that produced it (a fresh process per measurement).

    python -m bench.report_scale generate --url sqlite:///var/bench-report.db --n 1000000
    python -m bench.report_scale measure --url sqlite:///var/bench-report.db

The history is realistic: complaints arrive at a steady rate (``PER_MONTH``, 1,000,000 over four
years ≈ 20,833 a month, ≈ 685 a day), received uniformly at random over the N / rate days that end
with the reported month (2026-10, company time). N = 1,000,000 is four years of history (2022-11
to 2026-10); N = 100,000 is the last ≈ 146 days. The reported month holds ≈ 20,800 cases at any
N ≥ 100,000, so the two sizes show whether the report costs the month's cases or the table's size.
Everything is drawn from ``random.Random`` seeded per chunk (reproducible); the per-case
distributions: severity general 1/2, important 1/4, major 1/4; category service / business
1/2 each (business: subtype timeliness / goods_discrepancy / other); five channels uniform;
escalation level 0 (1/2), 1, 2, 3 (1/6 each); validity valid 9/10; target staff / department /
product uniform over four refs; plan recorded 0.05-1.5 h after receipt (0.5 h allowed), resolved
1-120 h (72 h allowed), closed 1-170 h after resolution; reopened once 1/20; compensation approved
1/10 (three levels, 1-5,000); satisfied 4/5; score 1-5 uniform. Each case has two clock runs
(plan, resolution) met or breached by those durations.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import typer
from sqlalchemy import create_engine, delete, insert

from activities.report import ReportActivities
from config import ROOT
from models.report import ReportInput
from storage import tables as t
from storage.engine import make_engine, sync_url
from storage.migrate import upgrade

app = typer.Typer(add_completion=False)

PERIOD, TZ = "2026-10", "Asia/Shanghai"
END = datetime(2026, 10, 31, 16, tzinfo=UTC)  # 1 November 00:00 in Shanghai: the end of 2026-10
PER_MONTH = 1_000_000 / 48  # four years of history at 1,000,000
PER_DAY = PER_MONTH * 12 / 365.25
CHUNK = 20_000


def span(n: int) -> timedelta:
    """The history N complaints make at the steady rate, ending with the reported month."""
    return timedelta(days=n / PER_DAY)


def _rows(
    n: int, seed: int = 15, *, total: int | None = None, first: int = 0
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Cases ``first`` … ``first + n - 1`` of a history of ``total`` (``n`` when None)."""
    rnd = random.Random(seed)
    history = span(total or n)
    start = END - history
    complaints: list[dict[str, object]] = []
    clocks: list[dict[str, object]] = []
    for i in range(first, first + n):
        received = start + history * rnd.random()
        plan_h, resolved_h = rnd.uniform(0.05, 1.5), rnd.uniform(1, 120)
        closed_h = resolved_h + rnd.uniform(1, 170)
        category = rnd.choice(["service", "business"])
        comp = rnd.random() < 0.1
        ref = f"complaint-B{i:07d}"
        complaints.append(
            {
                "id": f"B{i:07d}",
                "workflow_id": ref,
                "status": "closed",
                "severity": rnd.choice(["general", "general", "important", "major"]),
                "category": category,
                "channel": rnd.choice(["phone", "email", "hotline", "walk_in", "online_chat"]),
                "handler_id": "cs-1",
                "first_responder_id": "cs-1",
                "target_staff_id": None,
                "customer_id": None,
                "complainant_phone": None,
                "escalation_level": rnd.choice([0, 0, 0, 1, 2, 3]),
                "received_at": received,
                "next_due_at": None,
                "closed_at": received + timedelta(hours=closed_h),
                "archived": True,
                "case_file": None,
                "seq": 9,
                "view": {},
                "subtype": rnd.choice(["timeliness", "goods_discrepancy", "other"]) if category == "business" else None,
                "validity": "valid" if rnd.random() < 0.9 else "invalid",
                "target_kind": rnd.choice(["staff", "department", "product"]),
                "target_ref": rnd.choice(["ops-1", "ops-2", "Logistics", "Sales"]),
                "plan_recorded_at": received + timedelta(hours=plan_h),
                "resolved_at": received + timedelta(hours=resolved_h),
                "reopen_count": 1 if rnd.random() < 0.05 else 0,
                "compensation_status": "approved" if comp else None,
                "compensation_level": rnd.choice(["leader", "manager", "general_manager"]) if comp else None,
                "compensation_amount": Decimal(rnd.randint(1, 5000)) if comp else None,
                "satisfied": rnd.random() < 0.8,
                "score": rnd.randint(1, 5),
            }
        )
        for n_, (clock, hours, allowed) in enumerate((("plan", plan_h, 0.5), ("resolution", resolved_h, 72.0))):
            clocks.append(
                {
                    "case_ref": ref,
                    "n": n_,
                    "clock": clock,
                    "started_at": received,
                    "allowed_seconds": allowed * 3600,
                    "due_at": received + timedelta(hours=allowed),
                    "outcome": "met" if hours <= allowed else "breached",
                    "ended_at": received + timedelta(hours=hours),
                    "fulfilled_at": None,
                    "used_seconds": hours * 3600,
                    "lateness_seconds": None,
                    "pauses": [],
                    "warnings": [],
                    "seq": 9,
                }
            )
    return complaints, clocks


@app.command()
def generate(url: str = typer.Option(...), n: int = 100_000) -> None:
    """Migrate ``url`` and write N closed complaints (and their two clock runs) into it."""
    upgrade(url)
    engine = create_engine(sync_url(url))
    began = time.perf_counter()
    with engine.begin() as db:
        db.execute(delete(t.table(t.CaseClock)))
        db.execute(delete(t.table(t.Complaint)))
        db.execute(delete(t.table(t.Report)))
    for lo in range(0, n, CHUNK):
        complaints, clocks = _rows(min(CHUNK, n - lo), seed=lo, total=n, first=lo)
        with engine.begin() as db:
            db.execute(insert(t.table(t.Complaint)), complaints)
            db.execute(insert(t.table(t.CaseClock)), clocks)
        done = lo + len(complaints)
        if done == n or done % (10 * CHUNK) == 0:
            print(f"  generated {done:,} / {n:,} ({time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load (SQLite: no statistics)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.exec_driver_sql("VACUUM ANALYZE complaint")
            db.exec_driver_sql("VACUUM ANALYZE case_clock")
    engine.dispose()
    typer.echo(
        json.dumps(
            {
                "generated": n,
                "history_days": round(span(n).total_seconds() / 86400, 1),
                "seconds": round(time.perf_counter() - began, 1),
            }
        )
    )


def peak_kb() -> int:
    """The process's peak RSS in KiB: ``VmHWM`` of /proc/self/status (the ``ru_maxrss`` of a
    process started by fork and exec keeps its parent's peak on Linux, e.g. bench.run's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@app.command()
def measure(url: str = typer.Option(...), out: Path | None = None) -> None:
    """Produce the monthly report of 2026-10 once; print the time and the peak memory."""

    async def run() -> dict[str, object]:
        engine = make_engine(url)
        before = peak_kb()
        began = time.perf_counter()
        produced = await ReportActivities(engine, ROOT / "data" / "staff.json").produce_complaint_report(
            ReportInput(period=PERIOD, timezone=TZ)
        )
        seconds = time.perf_counter() - began
        await engine.dispose()
        peak = peak_kb()
        return {
            "backend": url.split(":", 1)[0],
            "period": PERIOD,
            "version": produced.version,
            "seconds": round(seconds, 3),
            "peak_rss_mb": round(peak / 1024, 1),
            "rss_growth_mb": round((peak - before) / 1024, 1),
        }

    result = asyncio.run(run())
    typer.echo(json.dumps(result))
    if out:
        out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    app()
