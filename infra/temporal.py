"""THE one way a process makes its Temporal client from settings (PostHog's
``common/client.py``): the worker, the API, the command line, ``make run``'s probe and the
benchmarks all connect here."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client, Interceptor
from temporalio.runtime import Runtime

from config import Settings
from infra.codec import data_converter
from infra.proofs import StepKeys, StepSigner
from infra.telemetry import tracing_interceptors


class TemporalUnavailable(Exception):
    """Temporal cannot be reached, or did not take a request in time (the API answers 503)."""


def step_signers(settings: Settings) -> list[Interceptor]:
    """The client interceptor that proves a person's steps (infra/proofs.py), when this process
    holds ``STEP_KEY``."""
    if not settings.step_key.strip():
        return []
    return [StepSigner(StepKeys(settings.step_key), timedelta(seconds=settings.step_proof_seconds))]


async def connect(
    settings: Settings, *, key: str | None = None, timeout: float | None = None, runtime: Runtime | None = None
) -> Client:
    """A client of ``settings.temporal_address`` in ``settings.temporal_namespace`` with the
    project's data converter (payloads encrypted with ``PAYLOAD_KEY``, or ``key`` when given;
    ``key=""``: no encryption), the step signer, and the SDK's tracing interceptor when
    ``OTEL_TRACES_EXPORTER`` is on (a worker made from this client traces its workflows and
    activities with it too). ``runtime``: the process's Temporal runtime (the worker's serves
    the SDK's metrics, infra.telemetry.sdk_runtime); None: the SDK's default. ``timeout``
    bounds the whole attempt. Any failure, a ``PAYLOAD_KEY`` that cannot be read included,
    raises :class:`TemporalUnavailable` with the cause's message."""
    try:
        attempt = Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings, key),
            interceptors=[*step_signers(settings), *tracing_interceptors(settings)],
            runtime=runtime,
        )
        return await (attempt if timeout is None else asyncio.wait_for(attempt, timeout=timeout))
    except Exception as e:  # noqa: BLE001 - any failure to connect is "unavailable"
        raise TemporalUnavailable(str(e)) from e
