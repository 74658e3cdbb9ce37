"""docker-compose.yml cannot run here (no Docker engine): parse and check it instead, and run
its two shell scripts' logic against a stand-in ``temporal`` CLI (issue 17)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from config import ROOT, Settings
from models.policy import PolicySettings
from starter.run import DEV_SERVER_UI_LIMITS
from workflows.search_attributes import ALL, CLI_TYPES

APP_SERVICES = ("migrate", "worker", "api")
#: what the application image (the Dockerfile) runs, and the file each command needs
APP_COMMANDS = {
    "migrate": (["python", "-m", "storage.migrate"], "storage/migrate.py"),
    "worker": (["python", "worker.py"], "worker.py"),
    "api": (["python", "-m", "console"], "console/__main__.py"),  # the API and the staff console (issue 18)
}
#: custom search attributes of each type PostgreSQL visibility has columns for
#: (schema/postgresql/v12/visibility of the Temporal server: Keyword01-10, the others 01-03)
SQL_VISIBILITY_SLOTS = {"Keyword": 10, "Int": 3, "Datetime": 3, "KeywordList": 3, "Text": 3, "Bool": 3, "Double": 3}


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _services() -> dict[str, Any]:
    return _compose()["services"]


def _script(service: str) -> str:
    """A one-shot service's shell script as the container's ``sh -ec`` gets it (``$$`` is
    Compose's escape of ``$``)."""
    svc = _services()[service]
    assert svc["entrypoint"] == ["sh", "-ec"] and len(svc["command"]) == 1
    return svc["command"][0].replace("$$", "$")


def _wanted_attributes() -> list[tuple[str, str]]:
    return [(k.name, CLI_TYPES[k.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]) for k in ALL]


def test_compose_has_the_whole_system() -> None:
    """Issue 17: Temporal on PostgreSQL with its schema and search-attribute one-shots, the
    read-only Web UI, the application database, the migrations, the workers and the API."""
    services = _services()
    assert {
        "postgres",
        "temporal-postgres",
        "temporal-schema",
        "temporal",
        "temporal-search-attributes",
        "temporal-ui",
        "migrate",
        "worker",
        "api",
    } <= set(services)
    assert services["temporal"]["image"].startswith("temporalio/server:")
    for one_shot in ("temporal-schema", "temporal-search-attributes"):
        assert services[one_shot]["image"].startswith("temporalio/admin-tools:")
    # the server and its admin tools of one release (the schemas the tools set up are the server's)
    versions = {
        services[n]["image"].split(":")[1] for n in ("temporal", "temporal-schema", "temporal-search-attributes")
    }
    assert len(versions) == 1, versions


def test_the_dockerfile_builds_what_the_app_services_run() -> None:
    """Issue 17: every application service is built from the Dockerfile, which copies and
    installs the project, and runs a command whose module is in it."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.1[1-9]", dockerfile, re.M)  # pyproject: requires-python >= 3.11
    assert "COPY . ." in dockerfile and "pip install --no-cache-dir ." in dockerfile
    for name, (command, module) in APP_COMMANDS.items():
        svc = _services()[name]
        assert svc["build"] == "." and svc["command"] == command, name
        assert (ROOT / module).is_file(), module


def test_temporal_persists_history_and_visibility_in_its_postgres() -> None:
    """Issue 17: the server's persistence and its visibility store (SQL advanced visibility,
    no Elasticsearch) are databases of the PostgreSQL service Temporal has to itself, with its
    credentials, and the schema one-shot creates and upgrades both databases."""
    services = _services()
    env = services["temporal"]["environment"]
    assert env["DB"] == "postgres12" and env["ENABLE_ES"] == "false"
    db = services[env["POSTGRES_SEEDS"]]
    assert env["POSTGRES_SEEDS"] == "temporal-postgres" and db["image"].startswith("postgres:")
    assert int(db["image"].split(":")[1]) >= 12  # advanced visibility needs PostgreSQL 12+
    assert (env["POSTGRES_USER"], env["POSTGRES_PWD"], env["DB_PORT"]) == (
        db["environment"]["POSTGRES_USER"],
        db["environment"]["POSTGRES_PASSWORD"],
        "5432",
    )
    assert env["DBNAME"] == "temporal" and env["VISIBILITY_DBNAME"] == "temporal_visibility"
    assert services["temporal-schema"]["environment"] == {
        k: v for k, v in env.items() if k in services["temporal-schema"]["environment"]
    }
    assert {"DB", "POSTGRES_SEEDS", "DBNAME", "VISIBILITY_DBNAME"} <= set(services["temporal-schema"]["environment"])
    script = _script("temporal-schema")
    assert 'setup "$DBNAME" temporal' in script and 'setup "$VISIBILITY_DBNAME" visibility' in script
    assert "/etc/temporal/schema/postgresql/v12/$2/versioned" in script
    # the application's database is another service, with other credentials
    app_db = services["postgres"]["environment"]
    assert app_db["POSTGRES_USER"] != env["POSTGRES_USER"]
    assert "@postgres:5432/" in services["migrate"]["environment"]["DATABASE_URL"]
    assert set(_compose()["volumes"]) == {"pgdata", "temporalpgdata"}


def test_the_registration_service_registers_exactly_the_projects_search_attributes() -> None:
    """Issue 17: the supervisors' filters (CP-08/CP-09 via EscalationLevel, PlanDueAt …) are
    registered at start, exactly workflows.search_attributes.ALL, each with its type: no more,
    no fewer. And they fit SQL visibility's columns (an eleventh Keyword would not)."""
    registered = re.findall(r"^register (\w+) (\w+)$", _script("temporal-search-attributes"), re.M)
    assert sorted(registered) == sorted(_wanted_attributes())
    assert len(registered) == len(set(registered))
    for kind, count in Counter(kind for _, kind in registered).items():
        assert count <= SQL_VISIBILITY_SLOTS[kind], kind


def _run_with_a_stand_in_cli(tmp_path: Path, script: str, existing: set[str]) -> list[list[str]]:
    """Run ``script`` with a ``temporal`` on PATH that records its arguments, refuses to
    create an attribute in ``existing`` (as a CLI may) and lists those; ``sleep`` returns at once."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    (bin_dir / "temporal").write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> {log}\n'
        'case "$*" in\n'
        + "".join(f'  *"create --namespace default --name {name} "*) exit 1 ;;\n' for name in sorted(existing))
        + '  *"search-attribute list"*) '
        + "".join(f"echo '{name}  Keyword'; " for name in sorted(existing))
        + "exit 0 ;;\n"
        "esac\n"
    )
    (bin_dir / "sleep").write_text("#!/bin/sh\n")
    for f in bin_dir.iterdir():
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(["sh", "-ec", script], env=env, check=True, timeout=30)
    return [line.split() for line in log.read_text().splitlines()]


def test_the_registration_script_creates_the_namespace_and_each_attribute_once(tmp_path: Path) -> None:
    """Issue 17: run as the container runs it (against a stand-in CLI): it waits for the
    cluster's health, makes sure of the namespace, then creates every attribute of ALL once,
    with its type; one already there (its create refused) is fine: the script still succeeds."""
    calls = _run_with_a_stand_in_cli(tmp_path, _script("temporal-search-attributes"), existing={"HandlerId"})
    assert calls[0] == ["operator", "cluster", "health"]
    assert calls[1] == ["operator", "namespace", "describe", "--namespace", "default"]
    created = [
        (c[c.index("--name") + 1], c[c.index("--type") + 1])
        for c in calls
        if c[:3] == ["operator", "search-attribute", "create"]
    ]
    assert created == _wanted_attributes()


def test_compose_scripts_escape_every_dollar() -> None:
    """Issue 17: Compose substitutes ``$NAME`` in the file itself when it starts: every shell ``$`` of
    the one-shot scripts is written ``$$``, so the container gets them (a single ``$`` would
    arrive as an empty string)."""
    for name in ("temporal-schema", "temporal-search-attributes"):
        raw = _services()[name]["command"][0]
        assert not re.search(r"(?<!\$)\$(?!\$)", raw.replace("$$", "")), name


def test_services_wait_for_what_they_need() -> None:
    """Issue 17: each service starts only once what it depends on is healthy (the databases,
    the Temporal frontend) or has finished (the schema, the namespace and search attributes,
    the migrations): the worker and the API never start against a Temporal without the
    attributes they upsert, or a database not yet migrated."""
    services = _services()
    wanted = {
        "temporal-schema": {"temporal-postgres": "service_healthy"},
        "temporal": {"temporal-schema": "service_completed_successfully"},
        "temporal-search-attributes": {"temporal": "service_healthy"},
        "temporal-ui": {"temporal-search-attributes": "service_completed_successfully"},
        "migrate": {"postgres": "service_healthy"},
        "worker": {
            "migrate": "service_completed_successfully",
            "temporal-search-attributes": "service_completed_successfully",
        },
        "api": {
            "migrate": "service_completed_successfully",
            "temporal-search-attributes": "service_completed_successfully",
        },
    }
    for name, deps in wanted.items():
        assert {dep: cond["condition"] for dep, cond in services[name]["depends_on"].items()} == deps, name
    for name, svc in services.items():  # whatever waits for a service's health has one to wait for
        for dep, cond in svc.get("depends_on", {}).items():
            if cond["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], (name, dep)


def test_health_checks_on_the_databases_temporal_and_the_api() -> None:
    """Issue 17: pg_isready on both PostgreSQL services, the frontend's port on Temporal, and
    GET /health (200 only when the API, the database and Temporal all answer) on the API."""
    services = _services()
    for name in ("postgres", "temporal-postgres"):
        user = services[name]["environment"]["POSTGRES_USER"]
        assert f"pg_isready -U {user}" in " ".join(services[name]["healthcheck"]["test"]), name
    assert services["temporal"]["healthcheck"]["test"] == ["CMD", "nc", "-z", "127.0.0.1", "7233"]
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    port = services["api"]["ports"][0].rsplit(":", 1)[1]
    assert f"http://127.0.0.1:{port}/health" in api_check
    assert (ROOT / "api" / "routes" / "health.py").read_text().count('"/health"') == 1


def test_ports_are_published_and_the_frontend_stays_local() -> None:
    """Issue 17: the API and the Web UI are published; the Temporal frontend, which takes any client's
    calls, on the host's loopback only; no database is published."""
    services = _services()
    assert services["api"]["ports"] == ["8000:8000"]
    assert services["temporal-ui"]["ports"] == ["8233:8080"]
    assert services["temporal"]["ports"] == ["127.0.0.1:7233:7233"]
    for name in ("postgres", "temporal-postgres"):
        assert "ports" not in services[name]


def test_workers_scale_and_serve_their_metrics() -> None:
    """Issue 17: WORKERS sets how many worker processes run (default 2), all on the one task
    queue; each serves the Temporal SDK's metrics on its port, reachable in the network."""
    worker = _services()["worker"]
    assert worker["deploy"]["replicas"] == "${WORKERS:-2}"
    env = worker["environment"]
    assert int(env["WORKER_METRICS_PORT"]) > 0 and env["WORKER_METRICS_HOST"] == "0.0.0.0"
    assert worker["expose"] == [env["WORKER_METRICS_PORT"]]
    assert "ports" not in worker  # replicas would fight over a host port
    assert env["TASK_QUEUE"] == _services()["api"]["environment"]["TASK_QUEUE"]


def test_compose_environment_names_are_settings() -> None:
    """Issue 17: every variable given to an application service is one it reads (a
    process setting or a POLICY_ setting): a misspelt name would be silently ignored."""
    fields = {name.upper() for name in Settings.model_fields}
    fields |= {f"POLICY_{name.upper()}" for name in PolicySettings.model_fields}
    for name in APP_SERVICES:
        env = _services()[name]["environment"]
        assert set(env) <= fields, set(env) - fields
        assert env["PAYLOAD_KEY"].startswith("${PAYLOAD_KEY:?") and env["STEP_KEY"].startswith("${STEP_KEY:?")


def test_web_ui_is_read_only_with_no_codec_and_no_batch_operations() -> None:
    """Issues 12 and 17: the Web UI runs read-only (no terminate, cancel, signal, reset, update or
    start), with no codec (confidential fields are sealed in the payloads; the API has no
    codec endpoint), the server's batch operations off (as under `make run`), and no Temporal
    service gets the keys."""
    services = _services()
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true" and ui["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert not any("CODEC" in name for name in ui)
    env = services["temporal"]["environment"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in services["temporal"]["volumes"]}
    dynamic = yaml.safe_load((ROOT / mounted[env["DYNAMIC_CONFIG_FILE_PATH"]]).read_text())
    flag, setting = DEV_SERVER_UI_LIMITS[1].split("=")
    assert DEV_SERVER_UI_LIMITS[0] == "--dynamic-config-value" and setting == "false"
    assert dynamic[flag] == [{"value": False}]
    for name, svc in services.items():
        if name not in APP_SERVICES:
            svc_env = svc.get("environment", {})
            assert "PAYLOAD_KEY" not in svc_env and "STEP_KEY" not in svc_env, name
