"""Benchmarks are not tests: this only runs each one at a tiny size to prove it still works."""

from __future__ import annotations

from pathlib import Path

from bench import console_pages, customer_scale, mirror, sealing
from bench.run import run_all
from workflows import complaint


async def test_every_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    res = await run_all("smoke", tmp_path, write_benchmarks_md=False)
    assert res["lifecycle"]["ours_per_s"] > 0 and res["lifecycle"]["bare_per_s"] > 0
    assert res["lifecycle"]["mirror_per_s"] > 0 and res["lifecycle"]["ratio_to_mirror"] > 0  # the second reference ran
    # the mirror writes as often as a complaint case does: intake, five steps, closed, the archive
    assert res["lifecycle"]["writes_per_case"] == {"ours": 8.0, "mirror": 8.0}
    for side in ("ours", "bare", "mirror"):  # what a case costs the server, the worker and the load
        cpu = res["lifecycle"][f"{side}_cpu_ms_per_case"]
        assert set(cpu) == {"server", "worker", "load"} and cpu["worker"] > 0, cpu
    # issue 17: the same lifecycle with one worker process, then two on one task queue
    workers = res["workers"]
    assert workers["one_per_s"] > 0 and workers["two_per_s"] > 0
    assert workers["ratio"] == workers["two_per_s"] / workers["one_per_s"]
    assert res["intake"]["saturated_latency_ms"]["n"] == 10
    assert res["intake"]["bare_uws_latency_ms"]["n"] == 10  # the second reference ran too
    timers = res["timers"][0]
    assert timers["escalated"] == timers["open"] == 10  # CP-08: every plan clock fired
    assert timers["warnings"] == 2 * timers["open"]  # issue 14: and warned twice before it did
    assert timers["memory_mb"]["ours_worker"] > 0
    assert [c["n"] for c in res["console"]] == [300]  # issue 18: the console's pages (bench/console_pages.py)
    assert "board (cs-sup), 300 cases" in next(tmp_path.glob("*-smoke.md")).read_text()
    assert list(tmp_path.glob("*-smoke.json")) and list(tmp_path.glob("*-smoke.md"))


def test_the_mirror_writes_with_our_time_out_and_retry_policy() -> None:
    assert mirror.WRITE == complaint.WRITE


async def test_the_sealing_benchmark_runs_and_compares_like_with_like() -> None:
    """bench/sealing.py at a tiny size: every converter measured on both payloads, and each
    reads back what it was given (the comparison is of the same work)."""
    res = await sealing.measure(n=3, rounds=1)
    assert set(res) == {"record (resolved case)", "plan step"}
    assert all(set(by) == {"bare", "whole", "sealed"} and min(by.values()) > 0 for by in res.values())
    record = sealing.resolved_record()
    for conv in sealing.converters().values():
        assert (await conv.decode(await conv.encode([record]), [type(record)])) == [record]


async def test_the_customer_scale_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    """bench/customer_scale.py (issue 16) at a tiny size: every account opens with its clocks
    armed and stays open; the CC-05 clocks of the due ones are acted on beside the bare timers."""
    res = await customer_scale.measure(count=12, due=4, window=2, margin=3, give_up=60)
    assert res["registered"] == res["running_at_end"] == 12 and res["bare_open"] == 12
    assert res["acted_on"] == res["bare_fired"] == 4 and res["opened_after_due"] == 0
    assert res["ours_lateness_s"]["n"] == res["bare_lateness_s"]["n"] == 4
    assert res["warnings"] == 4  # each due account's CC-05 reminder (80 % of its 3 months: past) at opening
    assert res["ours_per_s"] > 0 and res["bare_per_s"] > 0 and res["open_rss_mb"]["ours_worker"] > 0
    raw = customer_scale.save(res, tmp_path)
    assert raw.exists() and "CC-05 lateness" in raw.with_suffix(".md").read_text()


async def test_the_console_pages_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    """bench/console_pages.py (issue 18) at a tiny size: the cases and what they have are
    written, every page answered 200 each time, and each has its figures beside the bare page's
    (no figure is asserted: a benchmark is not a test)."""
    res = await console_pages.run(300, 3, tmp_path / "console.db")
    assert res["seeded"]["complaints"] == 300 and min(res["seeded"]["rows"].values()) > 0
    assert res["bare"]["n"] == 3 * len(res["pages"])
    assert {"work (ops-2)", "board (cs-sup)", "board ?level=1 (cs-sup)", "inbox (cs-sup)"} <= set(res["pages"])
    assert any(name.startswith("case page") for name in res["pages"])
    for name, fig in res["pages"].items():
        assert fig["statuses"] == {200: 3}, (name, fig)
        assert fig["n"] == 3 and {"p50", "p95", "max", "ratio_p95"} <= set(fig)
    assert len(console_pages.rows_of([res])) == len(res["pages"])
