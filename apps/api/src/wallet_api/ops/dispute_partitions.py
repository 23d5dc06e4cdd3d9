"""Periodic creation of `dispute_events`' monthly partitions ahead of time.

Runs in every API instance (the database function serialises them and is idempotent): at
start and then every interval it makes sure this month and the next
`WALLET_DISPUTE_PARTITIONS_AHEAD` months have their partition, so rows never wait in the
DEFAULT partition (and any month whose rows already wait there gets its own). A failed
round is logged (its error's type) and retried next interval.
"""

from __future__ import annotations

import structlog
from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.clock import Clock
from wallet_infra.persistence.dispute_event_partitions import make_dispute_event_partitions
from wallet_infra.runtime.periodic import Periodic

_log = structlog.get_logger("wallet_api.dispute_partitions")


async def partitions_once(container: AsyncContainer, *, ahead: int) -> list[str]:
    """Make the missing partitions; returns their names."""
    engine = await container.get(AsyncEngine)
    clock = await container.get(Clock)
    return await make_dispute_event_partitions(engine, around=clock.now(), ahead=ahead)


def dispute_partitions_job(container: AsyncContainer, *, ahead: int, interval_s: float) -> Periodic:
    """Now, then every `interval_s` (started and stopped by the lifespan)."""

    async def round_() -> None:
        created = await partitions_once(container, ahead=ahead)
        if created:
            _log.info("dispute_event_partitions_created", partitions=created)

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="dispute-partitions",
        failure_event="dispute_partitions_failed",
    )
