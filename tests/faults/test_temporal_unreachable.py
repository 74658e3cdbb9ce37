"""Temporal unreachable when a complaint is posted: a clear 503, nothing written anywhere,
and /health names Temporal as the failing part."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from api.main import create_app
from config import Settings
from storage import tables as t
from storage.engine import make_engine, sessions

pytestmark = pytest.mark.faults


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nobody listens there


async def test_temporal_unreachable_post_is_503_and_writes_nothing(sqlite_url: str, staff_file: Path) -> None:
    """Promise: with Temporal unreachable, POST /complaints (with or without Idempotency-Key)
    answers 503 saying Temporal is unavailable, never 500, and writes no row in any table;
    GET /health is 503 with temporal as the failing part (the database still ok)."""
    settings = Settings(database_url=sqlite_url, temporal_address=f"127.0.0.1:{closed_port()}", staff_file=staff_file)
    app = create_app(settings)
    body = {
        "channel": "phone",
        "complainant": {"name": "Zhao Lei", "phone": "+86 13912345678"},
        "target": {"kind": "service", "name": "delivery"},
        "summary": "Late delivery",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test", timeout=30) as api:
            for extra in ({}, {"Idempotency-Key": "while-temporal-is-down"}):
                started = time.monotonic()
                r = await api.post("/complaints", json=body, headers={"X-API-Key": "demo-cs-1", **extra})
                assert r.status_code == 503, r.text
                assert "Temporal is unavailable" in r.json()["detail"]
                assert time.monotonic() - started < 15
            health = await api.get("/health")
            assert health.status_code == 503
            assert health.json()["temporal"].startswith("unavailable")
            assert health.json()["database"] == "ok" and health.json()["api"] == "ok"

    engine = make_engine(sqlite_url)
    try:
        async with sessions(engine)() as db:
            counts = {
                table.name: await db.scalar(select(func.count()).select_from(table))
                for table in t.Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()
    assert "idempotency_key" in counts
    assert {name: n for name, n in counts.items() if n} == {}
