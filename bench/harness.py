"""Pieces the benchmarks share: a persisted dev server per benchmark, processes, percentiles."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client

from config import ROOT, Settings
from infra.codec import new_payload_key
from infra.temporal import connect
from starter.run import start_dev_server, wait_for_temporal
from storage.migrate import upgrade

T = TypeVar("T")
#: where every benchmark prints its progress and its tables
console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": statistics.fmean(values) if values else float("nan"),
    }


def progress() -> Progress:
    """A progress display of counted tasks (bar, done of total, elapsed time)."""
    return Progress(
        TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) a process has used: another process from /proc, or this one."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuMeter:
    """CPU time per case of the server, the worker and the load generator over one timed run:
    on a machine whose cores they share, the sum is what a case costs."""

    server: int
    worker: int
    start: dict[str, float] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)

    def read(self) -> dict[str, float]:
        return {"server": cpu_seconds(self.server), "worker": cpu_seconds(self.worker), "load": cpu_seconds()}

    def __enter__(self) -> CpuMeter:
        self.start = self.read()
        return self

    def __exit__(self, *_: object) -> None:
        self.spent = {k: v - self.start[k] for k, v in self.read().items()}

    def ms_per(self, n: int) -> dict[str, float]:
        return {k: 1000 * v / n for k, v in self.spent.items()}


@dataclass
class Stack:
    """A persisted dev server (as `make run` has it), a migrated SQLite app database, and the
    processes a benchmark starts; everything under one temporary folder."""

    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bench-")))
    address: str = field(default_factory=lambda: f"127.0.0.1:{free_port()}")
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    stopped: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: as under `make run`: the complaint system's payloads are encrypted (the bare reference's not)
    payload_key: str = field(default_factory=new_payload_key)
    #: the key that proves a person's steps (the API, the load generator's clients, the worker)
    step_key: str = field(default_factory=new_payload_key)
    client: Client | None = None
    bare_client: Client | None = None

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.dir / 'app.db'}"

    @property
    def settings(self) -> Settings:
        """What the stack's processes are configured with (env())."""
        return Settings(
            temporal_address=self.address,
            temporal_namespace="default",
            database_url=self.database_url,
            payload_key=self.payload_key,
            step_key=self.step_key,
        )

    def env(self, **extra: str) -> dict[str, str]:
        return (
            os.environ
            | {
                "TEMPORAL_ADDRESS": self.address,
                "DATABASE_URL": self.database_url,
                "LOG_LEVEL": "WARNING",
                "PAYLOAD_KEY": self.payload_key,
                "STEP_KEY": self.step_key,
            }
            | extra
        )

    async def start(self) -> Client:
        self.procs.append(
            start_dev_server(self.address, free_port(), self.dir / "temporal.db", self.dir / "temporal.log")
        )
        await asyncio.to_thread(wait_for_temporal, self.settings)
        await asyncio.to_thread(upgrade, self.database_url)
        self.client = await connect(self.settings)
        self.bare_client = await connect(self.settings, key="")  # the bare reference: no encryption
        return self.client

    @property
    def server_pid(self) -> int:
        return self.procs[0].pid

    def spawn(self, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{Path(args[-1]).stem}-{len(self.procs)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        return proc

    def spawn_api(self, task_queue: str) -> str:
        port = free_port()
        self.spawn(["-m", "api"], API_PORT=str(port), TASK_QUEUE=task_queue)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("API did not start")

    async def watched(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``, but fail as soon as a process this stack spawned has died (the
        tail of its log in the error): a worker that crashed at start-up would otherwise leave
        the benchmark waiting for ever on its first case."""
        task = asyncio.ensure_future(awaitable)
        while True:
            done, _ = await asyncio.wait({task}, timeout=1)
            if done:
                return task.result()
            for proc in self.procs[1:]:  # the first is the Temporal server
                if proc.poll() is not None and proc not in self.stopped:
                    task.cancel()
                    log = Path(str(proc.args[-1])).stem if isinstance(proc.args, list) else "process"
                    tail = b"".join(
                        sorted(self.dir.glob(f"{log}-*.log"))[-1].read_bytes().splitlines(keepends=True)[-15:]
                    )
                    raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}:\n{tail.decode(errors='replace')}")

    def stop_proc(self, proc: subprocess.Popen[bytes]) -> None:
        self.stopped.append(proc)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # a graceful stop: the worker hands back its sticky queue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    async def stop(self) -> None:
        for proc in reversed(self.procs):
            self.stop_proc(proc)
        self.procs.clear()

    def disk_mb(self) -> dict[str, float]:
        return {p.name: p.stat().st_size / 2**20 for p in self.dir.glob("*.db")}


async def bounded(n: int, concurrency: int, job: Callable[[int], Awaitable[None]], tick: Callable[[], None]) -> float:
    """Run job(0..n-1) with at most ``concurrency`` in flight; return the elapsed seconds."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await job(i)
            tick()

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0
