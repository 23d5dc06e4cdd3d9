"""A retry is due on the database's clock, never a relay's: a relay whose clock runs an
hour ahead sets a failed event aside for its delay (the use case's `PublishRetry`), not
for the delay plus its skew, and every relay, whatever its clock says, claims it once
that delay has passed on the database's clock (review of 19f79e6: the time used to be
computed on the failing relay's clock and compared on each claimer's).

The use case on the real store, with a publisher that refuses the event once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.publish_retry import PublishRetry
from wallet_domain.use_cases.relay_outbox import RelayBatchRequest, RelayOutbox, RelayReport
from wallet_infra.clock import SystemClock
from wallet_infra.persistence.driver import PoolTransaction
from wallet_infra.persistence.outbox_relay_store import AsyncpgOutboxRelayStore
from wallet_testkit.fakes.clock import FixedClock
from wallet_testkit.fakes.relay import ScriptedPublisher
from wallet_testkit.polling import eventually

from .test_persistence_outbox_relay_store import (
    Sessions,
    private_engine,  # noqa: F401 - fixture
    rows,
    seed,
    sessions,  # noqa: F401 - fixture
)

pytestmark = pytest.mark.integration
RETRY = PublishRetry(base=timedelta(seconds=1), cap=timedelta(seconds=2))
SKEW = timedelta(hours=1)


async def run_batch(
    engine: AsyncEngine, publisher: ScriptedPublisher, clock: FixedClock
) -> RelayReport:
    transaction = PoolTransaction(engine=engine)
    try:
        relay = RelayOutbox(
            store=AsyncpgOutboxRelayStore(transaction=transaction),
            publisher=publisher,
            tx=transaction,
            clock=clock,
            retry=RETRY,
        )
        return await relay.execute(RelayBatchRequest(limit=10))
    finally:
        await transaction.close()


async def test_an_event_failed_by_a_fast_clocked_relay_is_retried_after_its_delay(
    sessions: Sessions,  # noqa: F811
    private_engine: AsyncEngine,  # noqa: F811
) -> None:
    (event_id,) = await seed(sessions, 1)
    publisher = ScriptedPublisher()
    publisher.refuse = {event_id}
    fast = FixedClock(SystemClock().now() + SKEW)  # relay A, an hour ahead

    failed = await run_batch(private_engine, publisher, fast)
    async with sessions() as session:
        failed_at = (await session.execute(text("SELECT clock_timestamp()"))).scalar_one()

    assert failed.failed == 1
    retry_at = (await rows(sessions))[event_id].next_attempt_at
    assert retry_at <= failed_at + RETRY.delay(1)  # the database's clock, no skew
    publisher.refuse = set()
    slow = FixedClock(SystemClock().now() - SKEW)  # relay B, an hour behind: no matter
    published: list[RelayReport] = []

    async def claimed() -> bool:
        published.append(await run_batch(private_engine, publisher, slow))
        return published[-1].published == 1

    await eventually(claimed, timeout_s=RETRY.cap.total_seconds() + 5, interval_s=0.02)
    assert published[0].claimed == 0  # right after the failure it was not due yet
