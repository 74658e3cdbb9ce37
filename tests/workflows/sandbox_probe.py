"""Two tiny workflows for tests/workflows/test_worker_sandbox.py, in a module of their own so
that the sandbox imports them as it imports the project's workflow modules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import workflow


@workflow.defn(name="ReadsTheWallClock")
class ReadsTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now(UTC).isoformat()  # non-deterministic: the sandbox must refuse it


@workflow.defn(name="SleepsAndEchoes")
class SleepsAndEchoes:
    @workflow.run
    async def run(self, text: str) -> str:
        await workflow.sleep(timedelta(seconds=1))
        return text
