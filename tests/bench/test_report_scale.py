"""bench/report_scale.py (issue 15) at a tiny size: the generator's history and the measurement."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bench import report_scale
from storage import tables as t


def test_the_history_is_four_years_at_a_steady_rate_ending_with_the_reported_month() -> None:
    assert report_scale.span(1_000_000) == timedelta(days=4 * 365.25)
    complaints, clocks = report_scale._rows(4_800, seed=1, total=1_000_000)
    received = [c["received_at"] for c in complaints]
    start = report_scale.END - report_scale.span(1_000_000)
    assert all(start <= r < report_scale.END for r in received)  # type: ignore[operator]
    october = sum(r >= report_scale.END - timedelta(days=31) for r in received)  # type: ignore[operator]
    assert 60 <= october <= 140  # ≈ 1/48 of the cases in the reported month
    assert len(clocks) == 2 * len(complaints) and len({c["id"] for c in complaints}) == 4_800


def test_generate_then_measure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    report_scale.generate(url=url, n=300)
    engine = create_engine(url)
    with engine.connect() as db:
        assert db.execute(select(func.count()).select_from(t.table(t.Complaint))).scalar_one() == 300
        assert db.execute(select(func.count()).select_from(t.table(t.CaseClock))).scalar_one() == 600
    engine.dispose()
    capsys.readouterr()
    report_scale.measure(url=url, out=tmp_path / "out.json")
    res = json.loads((tmp_path / "out.json").read_text())
    assert res["backend"] == "sqlite" and res["version"] == 1 and res["seconds"] > 0 and res["peak_rss_mb"] > 0
