"""docker-compose.yml cannot run here (no Docker engine): parse and check it instead."""

from __future__ import annotations

import yaml

from config import ROOT, Settings
from starter.run import DEV_SERVER_PRAGMAS, DEV_SERVER_UI_LIMITS
from workflows.search_attributes import dev_server_args


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_whole_system() -> None:
    services = _compose()["services"]
    assert {"postgres", "temporal", "migrate", "worker", "api"} <= set(services)
    assert services["worker"]["command"] == ["python", "worker.py"]


def test_compose_registers_every_search_attribute_make_run_registers() -> None:
    """The supervisors' filters (CP-08/CP-09 via EscalationLevel, PlanDueAt …) exist in both."""
    command = _compose()["services"]["temporal"]["command"]
    wanted = [a for a in dev_server_args() if a != "--search-attribute"]
    assert sorted(
        c.removeprefix("--search-attribute=") for c in command if c.startswith("--search-attribute=")
    ) == sorted(wanted)


def test_compose_environment_names_are_settings() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name in ("worker", "api", "migrate"):
        env = _compose()["services"][name]["environment"]
        assert set(env) <= fields, set(env) - fields


def test_compose_persists_temporal_as_make_run_does() -> None:
    """The same SQLite file settings as `make run` (every commit synced: a durable start is durable)."""
    command = _compose()["services"]["temporal"]["command"]
    assert "--db-filename=/data/temporal.db" in command
    assert [c.removeprefix("--sqlite-pragma=") for c in command if c.startswith("--sqlite-pragma=")] == list(
        DEV_SERVER_PRAGMAS
    )


def test_compose_web_ui_is_read_only_with_no_codec_and_the_frontend_stays_local() -> None:
    """Issue 12: the Web UI runs read-only (no terminate, cancel, signal, reset, update or
    start), with no codec (confidential fields are sealed in the payloads), no batch
    operations on the server (as under `make run`), and the frontend, which takes any
    client's calls, is published on the host's loopback only."""
    services = _compose()["services"]
    ui = services["temporal-ui"]["environment"]
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true" and "TEMPORAL_CODEC_ENDPOINT" not in ui
    command = services["temporal"]["command"]
    assert "--headless" in command and not any("codec" in c for c in command)
    assert "=".join(DEV_SERVER_UI_LIMITS) in command
    assert services["temporal"]["ports"] == ["127.0.0.1:7233:7233"]
    for name in ("temporal", "temporal-ui", "postgres"):
        env = services[name].get("environment", {})
        assert "PAYLOAD_KEY" not in env and "STEP_KEY" not in env
