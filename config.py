"""Process settings: one BaseSettings class, one ``settings`` object (the policy is separate:
see models/policy.py). Only settings live here: what a process builds from them (logging,
the payload codec, the Temporal client, the database engine) is in ``infra/``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    #: Workflows kept in memory; others are replayed from their (short) history when they wake.
    #: About 0.2 MB a cached complaint: 600 held a worker at 263 MB with 10,000 open
    #: (BENCHMARKS.md).
    max_cached_workflows: int = 600
    #: How many worker processes `make run` starts (``WORKERS=3 make run``): each is a
    #: ``python worker.py`` on the same task queue, Temporal shares the work among them.
    worker_processes: int = Field(default=1, ge=1, le=64)
    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 100
    log_level: str = "INFO"
    log_json: bool = False
    #: "k1:<base64 of 32 bytes>[,k0:<base64>]": the key that seals each confidential field of a
    #: Temporal payload (infra/codec.py), held by the API and the workers only; the first key
    #: seals, every key opens (rotation). Empty: this process cannot send a case to Temporal.
    payload_key: str = ""
    #: "k1:<base64 of 32 bytes>[,k0:<base64>]": the key that proves a person's step came
    #: through the API (infra/proofs.py), held by the API and the workers only; the first key
    #: signs, every key verifies (rotation). Empty: the API's steps carry no proof, and the
    #: workers refuse every person's step.
    step_key: str = ""
    #: How long a step's proof stays valid (between the API sending it and the worker's
    #: validator checking it: seconds are enough; a retry is proven anew).
    step_proof_seconds: int = 300
    #: Largest request body the API accepts (bytes); larger ones get 413.
    max_body_bytes: int = 64 * 1024
    #: How long POST /complaints and /client-projects wait for the worker to register the case
    #: before answering 202 (started durably, registration still running).
    intake_wait_seconds: float = 15.0
    #: The worker and the API freeze what start-up made out of the garbage collector's sight
    #: (shorter full-collection pauses: tail latency, BENCHMARKS.md).
    gc_freeze: bool = True
    #: The worker serves the Temporal SDK's metrics (Prometheus text format, ``temporal_*``)
    #: on this port through the Temporal runtime's exporter; 0: not served. ``make run`` sets
    #: 9464.
    worker_metrics_port: int = 0
    worker_metrics_host: str = "127.0.0.1"
    #: GET /metrics on the API (Prometheus text format, no API key: aggregate figures only,
    #: no case, no name). False: the route does not exist.
    api_metrics: bool = True
    #: OpenTelemetry traces: ``otlp`` (OTLP over HTTP, ``OTEL_EXPORTER_OTLP_ENDPOINT``),
    #: ``console`` or ``none`` (the default: no tracing at all). The other ``OTEL_*`` variables
    #: are read by the OpenTelemetry SDK itself (infra/telemetry.py).
    otel_traces_exporter: str = "none"

    # --- messages that leave the building (issue 17; README, "E-mail and webhooks") ---------
    #: The SMTP server notifications are mailed through; empty: no e-mail at all (the inbox
    #: only). ``SMTP_STARTTLS`` upgrades a plain connection, ``SMTP_TLS`` connects over TLS
    #: (port 465); ``SMTP_USERNAME``/``SMTP_PASSWORD`` log in when set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout_seconds: float = 20.0
    #: The sender of every mail (its domain also names each mail's Message-ID).
    mail_from: str = "Customer Service <service@example.com>"
    #: Where a mail's links point (the API, and the console once it exists).
    public_url: str = "http://127.0.0.1:8000"
    #: A staff member's mode for a kind they have not chosen: inbox | email | both.
    notify_default_mode: Literal["inbox", "email", "both"] = "both"
    #: Webhook subscribers, a JSON list: ``[{"id": "crm", "url": "https://…", "kinds":
    #: ["complaint.*"], "secret": "whsec_<base64>"}]`` (checked at start:
    #: models.delivery.WebhookSubscription, infra.bootstrap.Resources.webhooks).
    webhooks: list[dict[str, Any]] = Field(default_factory=list)
    #: How hard each delivery tries before it is failed (Temporal's retry with backoff).
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_first_retry_seconds: float = Field(default=10.0, gt=0)
    delivery_max_retry_seconds: float = Field(default=600.0, gt=0)
    delivery_attempt_timeout_seconds: float = Field(default=30.0, gt=0)

    # --- the staff console (issue 18) -------------------------------------------------------
    #: "k1:<base64 of 32 bytes>[,k0:<base64>]": signs the console's session cookies (the first
    #: key signs, every key verifies); ``make run`` makes VAR_DIR/console.key once. Empty: a
    #: key of this process only (every session ends when it stops; one API replica only).
    console_key: str = ""
    #: How long a console sign-in lasts.
    console_session_hours: float = Field(default=12.0, gt=0)
    #: The Temporal Web UI a case page links to (its workflow there).
    temporal_ui_url: str = "http://localhost:8233"

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)


@lru_cache
def get_settings() -> Settings:
    return Settings()
