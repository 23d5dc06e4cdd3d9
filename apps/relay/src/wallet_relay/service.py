"""The relay loop: drain the outbox into RabbitMQ, sleep until NOTIFY or the poll timer.

A plain asyncio service that owns a FastStream broker, not a FastStream app: the relay
only publishes, so FastStream's app lifecycle (subscribers, AsyncAPI) would add nothing,
while the loop needs control FastStream does not give: connect-with-retry before the
first batch, a LISTEN connection beside the pool, and backoff interleaved with shutdown.

Rules: a full batch means more is waiting, so the next one starts at once; otherwise
the worker waits for a NOTIFY or `poll_interval_s`. Woken by a NOTIFY, it lingers
`linger_s` before claiming, so the events committing right behind the first one join its
batch: under a steady trickle of payments a batch of one costs nearly what a batch of
ten does (a transaction, a publish, a confirm round trip, in the relay, the database and
the broker alike), and the consumers then get fewer, larger bursts too. `concurrency`
workers run batches side by side, each in its own transaction (SKIP LOCKED keeps them
disjoint, as it does across processes), so one batch's database work overlaps another's
broker confirms.
A batch that fails as a whole (broker down, database unreachable, a bug) is logged and
retried with exponential backoff up to `max_backoff_s`, reset by the first batch that
goes through: the process never exits on its own and never loses an event, because an
event leaves the outbox only as `sent_at`, written after the broker's confirm. An event
the broker did not confirm (returned as unroutable, nacked, unconfirmed in time) does not
slow the loop down: the use case sets it aside on its own row until its retry is due
(`PublishRetry`), and the batches go on at full pace with the events around it. A due
retry is claimed by the next batch (the poll timer's at the latest).
"""

from __future__ import annotations

import asyncio
from typing import Final

import structlog
from dishka import AsyncContainer
from faststream.rabbit import RabbitBroker
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.event_publisher import BrokerUnavailable
from wallet_domain.use_cases.purge_sent_events import PurgeSentEvents, PurgeSentRequest
from wallet_domain.use_cases.relay_outbox import (
    RelayBatchRequest,
    RelayOutbox,
    RelayReport,
    ScheduledRetry,
)
from wallet_infra.persistence.outbox_backlog import read_outbox_backlog
from wallet_infra.runtime import (
    Backoff,
    Periodic,
    cancel_and_wait,
    connect_broker_unless_stopped,
    sleep_unless_stopped,
)
from wallet_infra.startup_heap import freeze_startup_heap
from wallet_infra.telemetry import tracer

from wallet_relay.config import RelayConfig
from wallet_relay.metrics import RelayMetrics
from wallet_relay.wakeup import OutboxWakeup

_log = structlog.get_logger(__name__)
_LOGGED_IDS: Final = 10  # event ids named per log line of failed events


class RelayService:
    """Runs until `stop` is set; the batches in flight finish (or roll back) first."""

    def __init__(
        self,
        *,
        container: AsyncContainer,
        broker: RabbitBroker,
        wakeup: OutboxWakeup,
        config: RelayConfig,
        metrics: RelayMetrics | None = None,
    ) -> None:
        self._container = container
        self._broker = broker
        self._wakeup = wakeup
        self._config = config
        self._metrics = metrics

    async def run(self, stop: asyncio.Event) -> None:
        if not await connect_broker_unless_stopped(
            self._broker, stop=stop, max_delay_s=self._config.max_backoff_s
        ):
            return
        freeze_startup_heap()  # start-up's objects: never rescanned by a full collection
        stop_waiter = asyncio.create_task(stop.wait())
        stop_waiter.add_done_callback(lambda _: self._wakeup.wake())
        listener = asyncio.create_task(self._wakeup.serve(), name="outbox-listener")
        jobs = [
            Periodic(
                self._purge_once,
                interval_s=self._config.purge_interval_s,
                task_name="outbox-purger",
                failure_event="outbox_purge_failed",
            )
        ]
        if self._metrics is not None:
            jobs.append(
                Periodic(
                    self._observe_backlog_once,
                    interval_s=self._config.backlog_interval_s,
                    task_name="outbox-backlog",
                    failure_event="outbox_backlog_query_failed",
                )
            )
        for job in jobs:
            await job.start()
        try:
            async with asyncio.TaskGroup() as workers:
                for n in range(self._config.concurrency):
                    workers.create_task(self._work(stop), name=f"relay-worker-{n}")
        finally:
            stop_waiter.cancel()
            await cancel_and_wait(listener)
            for job in jobs:
                await job.stop()
        _log.info("relay stopped")

    async def _work(self, stop: asyncio.Event) -> None:
        backoff = Backoff(max_s=self._config.max_backoff_s)
        while not stop.is_set():
            # Cleared before the claim: a NOTIFY for rows this claim cannot see (they
            # commit later) arrives afterwards and wakes the wait below.
            self._wakeup.clear()
            report = await self._relay_batch(backoff)
            if report is None:
                await sleep_unless_stopped(stop, backoff.next_delay())
            elif report.is_full(self._config.batch_size):
                continue  # more is waiting
            elif await self._wakeup.wait(self._config.poll_interval_s):
                await sleep_unless_stopped(stop, self._config.linger_s)

    async def _relay_batch(self, backoff: Backoff) -> RelayReport | None:
        """One batch in its own REQUEST scope; None if it failed as a whole."""
        try:
            # The batch's own trace (claim, marks); each publish span joins the trace of
            # the request that wrote its event and links back to this one.
            with tracer().start_as_current_span("outbox relay batch") as span:
                async with self._container() as request:
                    relay = await request.get(RelayOutbox)
                    report = await relay.execute(RelayBatchRequest(limit=self._config.batch_size))
                span.set_attribute("outbox.claimed", report.claimed)
                span.set_attribute("outbox.published", report.published)
        except BrokerUnavailable as error:
            _log_outage(backoff, "broker unavailable, events wait in the outbox", error)
            return None
        except Exception as error:
            _log_outage(backoff, "relay batch failed, will retry", error, exc_info=True)
            return None
        if backoff.failures:
            _log.info("relay recovered", failed_attempts=backoff.failures)
            backoff.reset()
        if report.retries:
            _log_retries(report.retries)
        if report.claimed:
            _log.debug(
                "relay batch",
                claimed=report.claimed,
                published=report.published,
                failed=report.failed,
            )
        return report

    async def _observe_backlog_once(self) -> None:
        """Refresh the backlog gauges (one cheap query)."""
        assert self._metrics is not None  # scheduled only with metrics
        engine = await self._container.get(AsyncEngine)
        self._metrics.observe_backlog(await read_outbox_backlog(engine))

    async def _purge_once(self) -> None:
        request = PurgeSentRequest(
            older_than=self._config.retention, batch=self._config.purge_batch
        )
        async with self._container() as scope:
            purge = await scope.get(PurgeSentEvents)
            report = await purge.execute(request)
        if report.deleted:
            _log.info("purged sent outbox events", deleted=report.deleted)


def _log_retries(retries: tuple[ScheduledRetry, ...]) -> None:
    """Which events the broker did not confirm and when each is offered again (the
    publisher logged why, by reason): one line per batch, naming the first few. A delay,
    not a time: the retry is due on the database's clock, not this process's."""
    _log.warning(
        "events not confirmed, each retried on its own schedule",
        count=len(retries),
        event_ids=[str(retry.event_id) for retry in retries[:_LOGGED_IDS]],
        event_types=sorted({retry.event_type.value for retry in retries}),
        max_attempts=max(retry.attempts for retry in retries),
        next_retry_in_s=min(retry.retry_in for retry in retries).total_seconds(),
    )


def _log_outage(
    backoff: Backoff, message: str, error: Exception, *, exc_info: bool = False
) -> None:
    # The first failure of an outage is logged, then every 10th: no log flood.
    if backoff.failures % 10 == 0:
        _log.warning(
            message, error=type(error).__name__, attempt=backoff.failures + 1, exc_info=exc_info
        )
