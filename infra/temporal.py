"""THE one way a process makes its Temporal client from settings (PostHog's
``common/client.py``): the worker, the API, the command line, ``make run``'s probe and the
benchmarks all connect here."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from config import Settings
from infra.codec import data_converter


class TemporalUnavailable(Exception):
    """Temporal cannot be reached, or did not take a request in time (the API answers 503)."""


async def connect(settings: Settings, *, key: str | None = None, timeout: float | None = None) -> Client:
    """A client of ``settings.temporal_address`` in ``settings.temporal_namespace`` with the
    project's data converter (payloads encrypted with ``PAYLOAD_KEY``, or ``key`` when given;
    ``key=""``: no encryption). ``timeout`` bounds the whole attempt. Any failure, a
    ``PAYLOAD_KEY`` that cannot be read included, raises :class:`TemporalUnavailable` with the
    cause's message."""
    try:
        attempt = Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings, key),
        )
        return await (attempt if timeout is None else asyncio.wait_for(attempt, timeout=timeout))
    except Exception as e:  # noqa: BLE001 - any failure to connect is "unavailable"
        raise TemporalUnavailable(str(e)) from e
