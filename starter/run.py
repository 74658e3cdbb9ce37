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

from temporalio.client import Client

from config import ROOT, binary, get_settings, load_directory
from storage.migrate import upgrade
from storage.seed import seed_customers
from workflows.search_attributes import dev_server_args


async def _answers(address: str, namespace: str) -> bool:
    try:
        client = await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout=2)
        await asyncio.wait_for(client.service_client.check_health(), timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


def wait_for_temporal(address: str, namespace: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(_answers(address, namespace)):
            return
        time.sleep(0.5)
    raise SystemExit(f"Temporal did not answer at {address} within {timeout:.0f}s (see var/temporal.log)")


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
    ]
    codec = os.environ.get("UI_CODEC_ENDPOINT")
    if codec:
        cmd += ["--ui-codec-endpoint", codec]
    return subprocess.Popen(cmd, stdout=log_file.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def main() -> None:
    settings = get_settings()
    var = settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def stop(*_: object) -> None:
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
    if asyncio.run(_answers(settings.temporal_address, settings.temporal_namespace)):
        print(f"Temporal already answers at {settings.temporal_address}: using it", flush=True)
    else:
        print(f"starting Temporal dev server ({var / 'temporal.db'}) at {settings.temporal_address} …", flush=True)
        children.append(
            ("temporal", start_dev_server(settings.temporal_address, ui_port, var / "temporal.db", var / "temporal.log"))
        )
        wait_for_temporal(settings.temporal_address, settings.temporal_namespace)

    print("applying database migrations …", flush=True)
    upgrade(settings.database_url)
    added = seed_customers(settings.database_url, settings.customers_file)
    if added:
        print(f"loaded {added} demo customers", flush=True)

    py = sys.executable
    children.append(("worker", subprocess.Popen([py, str(ROOT / "worker.py")], cwd=ROOT)))
    children.append(("api", subprocess.Popen([py, "-m", "starter.api"], cwd=ROOT)))

    base = f"http://{settings.api_host}:{settings.api_port}"
    directory = load_directory(settings.staff_file)
    print(
        "\n".join(
            [
                "",
                f"  API docs     {base}/docs",
                f"  Temporal UI  http://localhost:{ui_port}",
                f"  staff file   {settings.staff_file}",
                "",
                "  demo staff (X-API-Key):",
                *(f"    {s.id:<12} {s.role.value:<16} {s.api_key or '(hashed key)'}" for s in directory.staff),
                "",
                "  Ctrl-C stops everything; `make run` again resumes every open case.",
                "",
            ]
        ),
        flush=True,
    )
    while True:
        for name, proc in children:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}; stopping the rest", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
