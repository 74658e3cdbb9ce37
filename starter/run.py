"""``make run``: the whole system on embedded defaults.

Starts a real Temporal dev server persisted in var/temporal.db (custom search attributes
registered, Web UI on :8233) unless one already answers at TEMPORAL_ADDRESS, applies the
migrations, loads the demo customers, starts the worker and the API, prints where everything
is, and stops all of it cleanly on Ctrl-C. Running it again resumes every open case.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from config import ROOT, Settings, get_settings
from infra.binaries import binary
from infra.calendars import with_calendar
from infra.codec import new_payload_key, parse_payload_keys
from infra.temporal import connect
from models.policy import PolicySettings
from models.staff import Directory
from starter.customers import open_demo_accounts
from starter.schedules import ensure_from_settings
from storage.migrate import upgrade
from storage.seed import seed_customers
from workflows.search_attributes import dev_server_args


async def _answers(settings: Settings) -> bool:
    try:
        client = await connect(settings, key="", timeout=2)  # a probe: no payload is sent
        await asyncio.wait_for(client.service_client.check_health(), timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


def wait_for_temporal(settings: Settings, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(_answers(settings)):
            return
        time.sleep(0.5)
    raise SystemExit(
        f"Temporal did not answer at {settings.temporal_address} within {timeout:.0f}s (see var/temporal.log)"
    )


def payload_key(var: Path) -> str:
    """PAYLOAD_KEY, or the key of VAR_DIR/payload.key, generated once (owner-only) when neither
    exists: every confidential field is sealed on the Temporal server under `make run`."""
    return _key("PAYLOAD_KEY", var / "payload.key")


def step_key(var: Path) -> str:
    """STEP_KEY, or the key of VAR_DIR/step.key, generated once (owner-only) when neither
    exists: the API proves every person's step with it, the worker refuses steps without a
    proof (infra/proofs.py). Only the API and the worker get it, never the Temporal server."""
    return _key("STEP_KEY", var / "step.key")


def _key(name: str, path: Path) -> str:
    env = os.environ.get(name, "").strip()
    if env:
        return env
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_payload_key("k1") + "\n")
    spec = path.read_text().strip()
    parse_payload_keys(spec)  # fail early on a damaged file
    return spec


def demo_keys(directory: Directory) -> list[tuple[str, str, str]]:
    """(id, role, key to print) per staff member: the demo rule is key = "demo-<id>", printed
    only when the staff file's key (or its sha256) matches it; otherwise "(hashed)"."""
    out = []
    for s in directory.staff:
        guess = f"demo-{s.id}"
        shown = guess if directory.authenticate(guess) is s else "(hashed)"
        out.append((s.id, s.role.value, shown))
    return out


#: The dev server's SQLite file in write-ahead-log mode, every commit still synced to disk
#: (as durable as the default rollback journal, with one sync a commit instead of several):
#: measured in BENCHMARKS.md, it about doubles what the persisted server takes.
#: Where ``make run``'s worker serves the Temporal SDK's metrics unless WORKER_METRICS_PORT
#: says otherwise (9464: the port OpenTelemetry's Prometheus exporters use by convention).
WORKER_METRICS_PORT = 9464

DEV_SERVER_PRAGMAS = ("journal_mode=wal", "synchronous=full")


def dev_server_storage_args() -> list[str]:
    return [arg for pragma in DEV_SERVER_PRAGMAS for arg in ("--sqlite-pragma", pragma)]


#: What the dev server lets us take from the Web UI's write power (README, "Deploying"): no
#: batch operations (terminate, cancel, signal or reset many cases at once). The UI has no
#: codec: it reads cases with no sign-in, and every confidential field is sealed for it.
DEV_SERVER_UI_LIMITS = ("--dynamic-config-value", "frontend.enableBatcher=false")


def start_dev_server(address: str, ui_port: int, db_file: Path, log_file: Path) -> subprocess.Popen[bytes]:
    host, _, port = address.rpartition(":")
    cmd = [
        binary("temporal"),
        "server",
        "start-dev",
        "--ip",
        host or "127.0.0.1",
        "--port",
        port,
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
        *dev_server_args(),
        *dev_server_storage_args(),
        *DEV_SERVER_UI_LIMITS,
    ]
    return subprocess.Popen(cmd, stdout=log_file.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


#: A worker process killed by a signal, or that dies after running this long, is started
#: again by `make run`; one that exits sooner by itself (a bad setting, a crash at start) stops
#: everything, as the API does.
WORKER_RESTART_AFTER = 10.0


def worker_names(n: int) -> list[str]:
    """The children's names of ``n`` worker processes: "worker" alone, else worker-1 … worker-n."""
    return ["worker"] if n == 1 else [f"worker-{i}" for i in range(1, n + 1)]


def is_worker(name: str) -> bool:
    return name == "worker" or name.startswith("worker-")


def database_label(url: str) -> str:
    """The database URL as the banner shows it: no password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def check_policy() -> None:
    """Refuse to start on an invalid policy (POLICY_*), naming what is wrong: also a calendar
    that cannot be resolved (holiday country, data file) when a clock counts working time."""
    try:
        settings = PolicySettings()
    except ValidationError as e:
        problems = "; ".join(
            (f"POLICY_{'_'.join(map(str, err['loc'])).upper()}: " if err["loc"] else "") + err["msg"]
            for err in e.errors()
        )
        raise SystemExit(f"invalid policy: {problems}") from None
    try:
        with_calendar(settings.complaint_policy()), with_calendar(settings.project_policy())
    except ValueError as e:
        raise SystemExit(f"invalid policy: {e}") from None


def main() -> None:
    check_policy()
    settings = get_settings()
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    #: a worker is being started again ("now"), and a stop came meanwhile ("stop")
    restarting = {"now": False, "stop": False}

    def stop(*_: object) -> None:
        if restarting["now"]:
            restarting["stop"] = True
            return
        for name, proc in reversed(children):
            if proc.poll() is None:
                print(f"stopping {name} …", flush=True)
                proc.send_signal(signal.SIGINT if name != "temporal" else signal.SIGTERM)
        for _name, proc in reversed(children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    ui_port = settings.temporal_ui_port
    key = payload_key(var)
    api_host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    base = f"http://{api_host}:{settings.api_port}"
    if asyncio.run(_answers(settings)):
        print(f"Temporal already answers at {settings.temporal_address}: using it", flush=True)
    else:
        print(f"starting Temporal dev server ({var / 'temporal.db'}) at {settings.temporal_address} …", flush=True)
        children.append(
            (
                "temporal",
                start_dev_server(settings.temporal_address, ui_port, var / "temporal.db", var / "temporal.log"),
            )
        )
        wait_for_temporal(settings)

    print("applying database migrations …", flush=True)
    upgrade(settings.database_url)
    added = seed_customers(settings.database_url, settings.customers_file)
    if added:
        print(f"loaded {added} demo customers", flush=True)

    py = sys.executable
    env = os.environ | {
        "PAYLOAD_KEY": key,
        "STEP_KEY": step_key(var),
        "CONSOLE_KEY": _key("CONSOLE_KEY", var / "console.key"),
        # a case page links to its workflow in the UI this run serves (TEMPORAL_UI_PORT)
        "TEMPORAL_UI_URL": os.environ.get("TEMPORAL_UI_URL") or f"http://localhost:{ui_port}",
    }
    # issue 17: each worker serves the Temporal SDK's metrics on its own port, the first on
    # WORKER_METRICS_PORT, the next ones above it (WORKER_METRICS_PORT=0 turns it off)
    metrics_port = int(os.environ.get("WORKER_METRICS_PORT") or WORKER_METRICS_PORT)
    workers = settings.worker_processes
    names = worker_names(workers)
    started_at: dict[str, float] = {}

    def start_worker(name: str) -> subprocess.Popen[bytes]:
        started_at[name] = time.monotonic()
        port = metrics_port + names.index(name) if metrics_port else 0
        worker_env = env | {"WORKER_METRICS_PORT": str(port)}
        return subprocess.Popen([py, str(ROOT / "worker.py")], cwd=ROOT, env=worker_env)

    # WORKER_PROCESSES (`WORKERS=3 make run`): as many `worker.py` on the one task queue
    for name in names:
        children.append((name, start_worker(name)))
    # each child is a process of its own and opens its own infra.bootstrap.Resources
    # the API and the staff console (issue 18) in one process
    children.append(("api", subprocess.Popen([py, "-m", "console"], cwd=ROOT, env=env)))

    # the periodic work (CP-18 reports, ND-12 rewards) on Temporal Schedules, created or
    # brought up to date at every start
    env_settings = settings.model_copy(update={"payload_key": env["PAYLOAD_KEY"], "step_key": env["STEP_KEY"]})
    scheduled = asyncio.run(ensure_from_settings(env_settings))
    # issue 16: every demo customer's account, its clocks armed (once; kept across restarts)
    accounts = asyncio.run(open_demo_accounts(env_settings))
    opened = sum(1 for a in accounts if a.state != "open already")
    directory = Directory.from_file(settings.staff_file)
    print(
        "\n".join(
            [
                "",
                f"  console      {base}/console (sign in with a demo key below)",
                f"  API docs     {base}/docs",
                f"  Temporal UI  http://localhost:{ui_port}",
                "               (no sign-in: names, contacts and texts are sealed; read them in the API)",
                f"  metrics      {base}/metrics (API), "
                + (
                    f"http://{settings.worker_metrics_host}:{metrics_port}/metrics (worker"
                    + (f"s: ports {metrics_port}-{metrics_port + workers - 1})" if workers > 1 else ")")
                    if metrics_port
                    else "worker: off"
                ),
                f"  workers      {workers} worker process{'es' if workers != 1 else ''} on task queue "
                f"{settings.task_queue} (WORKER_PROCESSES, or WORKERS=N make run)",
                f"  database     {database_label(settings.database_url)}",
                f"  staff file   {settings.staff_file}",
                f"  schedules    {', '.join(scheduled) or '(none)'}",
                f"  customers    {len(accounts)} demo accounts ({opened} opened now): GET {base}/customers",
                "",
                "  demo staff (X-API-Key):",
                *(f"    {sid:<12} {role:<16} {shown}" for sid, role, shown in demo_keys(directory)),
                "",
                "  Ctrl-C stops everything; `make run` again resumes every open case.",
                "",
            ]
        ),
        flush=True,
    )
    while True:
        for i, (name, proc) in enumerate(children):
            if proc.poll() is None:
                continue
            # only a worker starts again (another child's end stops everything, below)
            served = is_worker(name) and time.monotonic() - started_at[name] >= WORKER_RESTART_AFTER
            if is_worker(name) and (served or proc.returncode < 0):
                # a worker killed, or that died after serving: the others go on, this one
                # starts again (what it held, Temporal gives to a live worker once its
                # timeouts pass)
                print(f"{name} exited with {proc.returncode}; starting it again", flush=True)
                # a Ctrl-C now waits until the new worker is in the list: stopped in between, it
                # would be left running with nobody to stop it
                restarting["now"] = True
                children[i] = (name, start_worker(name))
                restarting["now"] = False
                if restarting["stop"]:
                    stop()
                continue
            print(f"{name} exited with {proc.returncode}; stopping the rest", flush=True)
            stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
