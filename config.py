"""Process settings: one BaseSettings class, one ``settings`` object (the policy is separate:
see models/policy.py). Only settings live here: what a process builds from them (logging,
the payload codec, the Temporal client, the database engine) is in ``infra/``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 100
    log_level: str = "INFO"
    log_json: bool = False
    #: "k1:<base64 of 32 bytes>[,k0:<base64>]": the first key encrypts, every key decrypts
    #: (rotation). Empty: payloads are stored in plaintext (tests and tools that opt out).
    payload_key: str = ""
    #: "k1:<base64 of 32 bytes>[,k0:<base64>]": the key that proves a person's step came
    #: through the API (infra/proofs.py), held by the API and the workers only; the first key
    #: signs, every key verifies (rotation). Empty: the API's steps carry no proof, and the
    #: workers refuse every person's step.
    step_key: str = ""
    #: How long a step's proof stays valid (between the API sending it and the worker's
    #: validator checking it: seconds are enough; a retry is proven anew).
    step_proof_seconds: int = 300
    #: Origins allowed to call POST /codec/* from a browser (the Temporal Web UI).
    codec_cors_origins: list[str] = ["http://localhost:8233", "http://127.0.0.1:8233"]
    #: Largest request body the API accepts (bytes); larger ones get 413.
    max_body_bytes: int = 64 * 1024
    #: The same for /codec/* (the Web UI sends whole histories' payloads to decode).
    max_codec_body_bytes: int = 8 * 1024 * 1024
    #: How long POST /complaints and /client-projects wait for the worker to register the case
    #: before answering 202 (started durably, registration still running).
    intake_wait_seconds: float = 15.0
    #: How long a Web UI sign-in (POST /codec/session) lasts.
    codec_session_seconds: int = 8 * 3600
    #: The worker and the API freeze what start-up made out of the garbage collector's sight
    #: (shorter full-collection pauses: tail latency, BENCHMARKS.md).
    gc_freeze: bool = True


@lru_cache
def get_settings() -> Settings:
    return Settings()
