"""structlog and stdlib logging, configured once per process, with PII redaction: a
complainant's phone or name never reaches a log line (RULES CP-19)."""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

import structlog
from opentelemetry import trace
from pydantic import BaseModel

from config import Settings, get_settings

_PII_KEYS = {"phone", "name", "complainant", "complainant_phone", "complainant_name", "mobile", "tel"}
_PII_KEYS |= {"email", "complainant_email"}  # issue 17
#: Anything that looks like a phone number inside a string: 8+ digits, optionally with a
#: leading +, spaces, dashes or parentheses between them; not a date, not part of an id. And
#: (issue 17) anything that looks like an e-mail address.
_PHONE_RE = re.compile(
    r"(?<![\w\-+])(?!\d{4}-\d{1,2}-\d{1,2}(?!\d))\+?\d(?:[ ()\-]*\d){7,}(?![\w\-])"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
)
_REDACTED = "[redacted]"


def _redact_value(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return _REDACTED
    if isinstance(value, str):
        return _PHONE_RE.sub(_REDACTED, value)
    if isinstance(value, dict):
        return {
            k: (
                _REDACTED
                if isinstance(k, str) and k.lower() in _PII_KEYS and v is not None
                else _redact_value(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact_value(v, depth + 1) for v in value]
    if isinstance(value, BaseModel):
        return _redact_value(value.model_dump(mode="json"), depth + 1)
    if isinstance(value, BaseException):
        return _PHONE_RE.sub(_REDACTED, str(value))
    return value


def redact_pii(_logger: object, _method: str, event: dict) -> dict:
    """Never log a complainant's phone or name (RULES CP-19; the UI and logs stay clean): PII
    keys at any depth are replaced, and phone-like numbers inside any string are masked."""
    for key in list(event):
        if key.lower() in _PII_KEYS and event[key] is not None:
            event[key] = _REDACTED
        else:
            event[key] = _redact_value(event[key])
    return event


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
            record.exc_text = _PHONE_RE.sub(_REDACTED, "".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


def add_trace_ids(_logger: object, _method: str, event: dict) -> dict:
    """The current span's ``trace_id`` and ``span_id`` (hex, as a tracing backend shows them)
    on every line logged inside a span: an API request, a Temporal client call, an activity.
    Nothing is added when no span is current (tracing off: ``OTEL_TRACES_EXPORTER=none``)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def log_processors(settings: Settings | None = None) -> list[Any]:
    """The structlog processor chain of every process; the last one renders."""
    settings = settings or get_settings()
    return [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_pii,
        structlog.processors.JSONRenderer() if settings.log_json else structlog.dev.ConsoleRenderer(colors=False),
    ]


def configure_logging(settings: Settings | None = None) -> None:
    """structlog, configured once per process."""
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
