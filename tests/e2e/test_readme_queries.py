"""Every visibility query the README offers supervisors (its ```temporal-query blocks) works
on the server `make run` starts: run through the `temporal` CLI, each is accepted. The README
once offered `ORDER BY` queries, which that server's SQLite visibility store refuses
("operation is not supported: 'ORDER BY' clause")."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from config import ROOT, Settings
from infra.binaries import binary
from starter.run import start_dev_server, wait_for_temporal

QUERIES = [
    q.strip()
    for block in re.findall(r"```temporal-query\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    for q in block.splitlines()
    if q.strip()
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_offers_queries_for_complaints_and_projects() -> None:
    assert (
        len(QUERIES) >= 8 and any("ComplaintStatus" in q for q in QUERIES) and any("ProjectStage" in q for q in QUERIES)
    )


@pytest_asyncio.fixture(scope="module")
async def make_run_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The dev server exactly as `make run` starts it (file-backed, its search attributes)."""
    var: Path = tmp_path_factory.mktemp("var-queries")
    address = f"127.0.0.1:{_free_port()}"
    proc = start_dev_server(address, _free_port(), var / "temporal.db", var / "temporal.log")
    try:
        await asyncio.to_thread(wait_for_temporal, Settings(temporal_address=address))
        yield address
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.parametrize("query", QUERIES)
def test_each_readme_query_runs_on_the_make_run_server(make_run_server: str, query: str) -> None:
    out = subprocess.run(
        [binary("temporal"), "workflow", "list", "--address", make_run_server, "--query", query, "--limit", "5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, f"{query!r} refused: {out.stderr or out.stdout}"
