"""The expiry worker: holds past `expires_at` are released in full (EXPIRED).

Runs in every API instance, like the recovery worker: each batch is claimed with its rows
locked and SKIP LOCKED, so instances share the work and each hold expires once; a hold a
request is completing or reverting is left to that request (whichever locks it first
wins). Each batch commits on its own; a round goes on until a batch comes back short. A
failed round is logged (its error's type) and retried next interval.
"""

from __future__ import annotations

import structlog
from dishka import AsyncContainer
from wallet_domain.batches import until_short_batch
from wallet_domain.use_cases.expire_holds import ExpireHolds, ExpireHoldsRequest
from wallet_infra.runtime.periodic import Periodic

_log = structlog.get_logger("wallet_api.hold_expiry")


async def expire_once(container: AsyncContainer, *, batch: int) -> int:
    """Expire every hold due now, `batch` per transaction; returns how many."""

    async def one_batch() -> int:
        async with container() as request:
            use_case = await request.get(ExpireHolds)
            return await use_case.execute(ExpireHoldsRequest(batch=batch))

    return await until_short_batch(one_batch, batch=batch)


def hold_expiry_job(container: AsyncContainer, *, batch: int, interval_s: float) -> Periodic:
    """Expire due holds now, then every `interval_s` (started and stopped by the lifespan)."""

    async def round_() -> None:
        expired = await expire_once(container, batch=batch)
        if expired:
            _log.info("holds_expired", expired=expired)

    return Periodic(
        round_,
        interval_s=interval_s,
        task_name="hold-expiry",
        failure_event="hold_expiry_failed",
    )
