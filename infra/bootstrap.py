"""The composition root (cosmicpython's ``bootstrap.py``): one object makes and closes every
resource of a process.

    async with Resources(settings) as resources:
        client = await resources.temporal()          # connected on first use
        ComplaintActivities(resources.engine, resources.writer, resources.settings.staff_file)

The worker (worker.py), the API (api/main.py's lifespan), the command line (starter/cli.py),
the benchmarks and the tests' fixtures each open one ``Resources``: ``make run``'s worker and
API are processes of their own, each with its own. Nothing else makes an engine, a writer or a
client from settings, so closing the ``Resources`` closes everything the process opened.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from temporalio.client import Client
from temporalio.runtime import Runtime

from config import Settings, get_settings
from infra.telemetry import sdk_runtime
from infra.temporal import connect
from models.delivery import DeliveryTerms, WebhookSubscription
from models.policy import (
    ComplaintPolicy,
    CustomerPolicy,
    InquiryPolicy,
    ProjectPolicy,
    RewardsPolicy,
    load_complaint_policy,
    load_customer_policy,
    load_inquiry_policy,
    load_project_policy,
    load_rewards_policy,
)
from models.staff import Directory
from storage.engine import make_engine, sessions
from storage.writer import BatchWriter


class Resources:
    """The resolved settings, the staff directory, the async database engine and its session
    maker, the batch writer (made on first use: only the worker writes through it) and the
    Temporal client (connected on first use: the API starts, and answers 503, while Temporal is
    down).

    ``client`` and ``directory`` may be given (tests, ``create_app(client=…)``): a given client
    is used as it is and left to its owner. ``temporal_timeout`` bounds each connection
    attempt (the API: 5 s, so a request waits at most that long for an unreachable server).
    ``sdk_metrics``: the client it connects runs on the process's one Temporal runtime serving
    the SDK's metrics on ``WORKER_METRICS_PORT`` (the worker asks for it; off when the port is
    0)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client: Client | None = None,
        directory: Directory | None = None,
        temporal_timeout: float | None = None,
        sdk_metrics: bool = False,
    ) -> None:
        self.settings = settings or get_settings()
        # the policy is checked at start: an invalid one stops the process with its reason
        self.complaint_policy(), self.project_policy(), self.rewards_policy()
        self.customer_policy(), self.inquiry_policy()
        self.webhooks()  # issue 17: so are the webhook subscribers
        self.directory = directory or Directory.from_file(self.settings.staff_file)
        self.engine: AsyncEngine = make_engine(self.settings.database_url)
        self.sessions: async_sessionmaker = sessions(self.engine)
        self.temporal_timeout = temporal_timeout
        self.runtime: Runtime | None = sdk_runtime(self.settings) if sdk_metrics else None
        self._client = client
        self._owns_client = client is None
        self._connecting: asyncio.Future[Client] | None = None
        self._writer: BatchWriter | None = None
        self._closed = False

    # --- the policy ----------------------------------------------------------------------

    def complaint_policy(self) -> ComplaintPolicy:
        """The complaint policy as ``POLICY_*`` sets it now, resolved for each new case (its
        workflow input keeps it: a later change never reaches an open case)."""
        return load_complaint_policy()

    def project_policy(self) -> ProjectPolicy:
        """The project policy as ``POLICY_*`` sets it now, resolved for each new project."""
        return load_project_policy()

    def customer_policy(self) -> CustomerPolicy:
        """The customer-care policy (issue 16) as ``POLICY_*`` sets it now, for each new account."""
        return load_customer_policy()

    def rewards_policy(self) -> RewardsPolicy:
        """The rewards policy (ND-12) as ``POLICY_*`` sets it now, resolved for each new round."""
        return load_rewards_policy()

    def inquiry_policy(self) -> InquiryPolicy:
        """The inquiry policy (CC-06) as ``POLICY_*`` sets it now, resolved for each new inquiry."""
        return load_inquiry_policy()

    # --- messages that leave the building (issue 17) -----------------------------------

    def webhooks(self) -> list[WebhookSubscription]:
        """The webhook subscribers ``WEBHOOKS`` names."""
        return [WebhookSubscription.model_validate(w) for w in self.settings.webhooks]

    def delivery_terms(self) -> DeliveryTerms:
        """How hard each new delivery tries (``DELIVERY_*``), kept in its workflow input."""
        s = self.settings
        return DeliveryTerms(
            max_attempts=s.delivery_max_attempts,
            first_retry=timedelta(seconds=s.delivery_first_retry_seconds),
            max_retry=timedelta(seconds=s.delivery_max_retry_seconds),
            attempt_timeout=timedelta(seconds=s.delivery_attempt_timeout_seconds),
        )

    # --- the database --------------------------------------------------------------------

    @property
    def writer(self) -> BatchWriter:
        """The process's batch writer (storage/writer.py), made on first use."""
        if self._writer is None:
            if self._closed:
                raise RuntimeError("Resources are closed")
            self._writer = BatchWriter(self.settings.database_url)
        return self._writer

    # --- Temporal ------------------------------------------------------------------------

    @property
    def client(self) -> Client | None:
        """The Temporal client if one is connected (or was given), without connecting."""
        return self._client

    async def temporal(self) -> Client:
        """The Temporal client, connected on first use (infra.temporal.connect). Concurrent
        first uses share one attempt; a failed attempt raises ``infra.temporal.TemporalUnavailable``
        and the next use tries again."""
        if self._client is None:
            if self._connecting is None or self._connecting.done():
                self._connecting = asyncio.ensure_future(
                    connect(self.settings, timeout=self.temporal_timeout, runtime=self.runtime)
                )
                # read by every waiter; marked read here too, for when all of them gave up
                self._connecting.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._client = await asyncio.shield(self._connecting)
        return self._client

    # --- closing -------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close what this object opened: the batch writer, then the engine's connections. A
        client given to it stays its owner's; a client it connected is dropped (a Temporal
        client holds no resource that needs closing)."""
        if self._closed:
            return
        self._closed = True
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        self._connecting = None
        if self._owns_client:
            self._client = None
        if self._writer is not None:
            await self._writer.aclose()
            self._writer = None
        await self.engine.dispose()

    async def __aenter__(self) -> Resources:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
