"""The recovery worker: resolves payments a crash or an unknown gateway outcome left
PENDING, inside every API instance.

Safe with N instances: ResolvePendingPayments claims each payment with a row lock other
workers skip, so each is resolved once. It only touches payments older than
`min_age` (at least twice the request deadline), so it never races a request that is
still settling its own payment. Its lookups pass the gateway's circuit breaker and
bulkhead like payments: while the circuit is open a round stops at once, leaving the
rest PENDING (funds held) for the next. A payment whose outcome the gateway cannot tell
yet is asked about again after a growing delay, and the rounds meanwhile go on to the
payments nobody has asked about; those waiting are the gauge
`wallet_recovery_still_pending`. A payment that fails to settle is set aside with a
growing delay while the round goes on with the others; each such failure is logged with
its payment id and counted in `wallet_recovery_settle_failures_total`, and the payments
set aside are the gauge `wallet_recovery_payments_set_aside`. The waiting state is this
process's own (memory, bounded), so a restarted worker asks about each payment once
more. A round that fails as a whole (the database down) is logged and retried next
interval.

Each round first does the disputes' part (`dispute_recovery`): it finishes the filings
left without a stored reply and sends the provider the evidence added after filing; a
failure there is logged and the payments' round still runs.
"""

from __future__ import annotations

from typing import Final

import structlog
from dishka import AsyncContainer
from prometheus_client import Counter, Gauge
from wallet_domain.model.payment_backoff import RecheckBackoff, SettleBackoff
from wallet_domain.use_cases.resolve_pending_payments import (
    ResolvePendingPayments,
    ResolvePendingRequest,
    ResolveReport,
)
from wallet_infra.config.settings import Settings
from wallet_infra.runtime.periodic import Periodic

from wallet_api.ops.dispute_recovery import (
    answer_stranded_filings,
    evidence_request,
    forward_dispute_evidence,
    stranded_filings_request,
)
from wallet_api.ops.recovery_window import recovery_request

_log = structlog.get_logger("wallet_api.recovery")

SETTLE_FAILURES: Final = Counter(
    "wallet_recovery_settle_failures",
    "Stale PENDING payments the recovery worker failed to look up or settle (each is set "
    "aside with a growing delay; the others go on).",
)
SET_ASIDE: Final = Gauge(
    "wallet_recovery_payments_set_aside",
    "Payments this process's recovery worker has set aside after failing to settle them.",
    multiprocess_mode="max",
)
STILL_PENDING: Final = Gauge(
    "wallet_recovery_still_pending",
    "Payments past the recovery window whose outcome the gateway could not tell when this "
    "process's recovery worker last asked (asked again with a growing delay; their funds "
    "stay held).",
    multiprocess_mode="max",
)


async def recover_once(container: AsyncContainer, request: ResolvePendingRequest) -> ResolveReport:
    """One round: resolve up to `request.batch` stale PENDING payments."""
    async with container() as scope:
        use_case = await scope.get(ResolvePendingPayments)
        report = await use_case.execute(request)
    for failure in report.failed:
        SETTLE_FAILURES.inc()
        _log.error(
            "pending_payment_settle_failed",
            payment_id=str(failure.payment_id),
            error_type=failure.error_type,
            retry_at=failure.retry_at.isoformat(),
        )
    SET_ASIDE.set(len(await container.get(SettleBackoff)))
    # Not this round's count: a round asks only about the payments whose delay is over.
    STILL_PENDING.set(len(await container.get(RecheckBackoff)))
    return report


def recovery_job(container: AsyncContainer, settings: Settings) -> Periodic:
    """Recover now, then every `recovery_interval_s` (started and stopped by the lifespan)."""
    request = recovery_request(settings)
    filings = stranded_filings_request(settings)
    evidence = evidence_request(settings)

    async def round_() -> None:
        try:
            await answer_stranded_filings(container, filings)
        except Exception as error:  # the payments' round runs whatever happened here
            _log.error("stranded_dispute_filings_failed", error_type=type(error).__name__)
        try:
            await forward_dispute_evidence(container, evidence)
        except Exception as error:  # likewise
            _log.error("dispute_evidence_forwarding_failed", error_type=type(error).__name__)
        report = await recover_once(container, request)
        if report.resolved or report.still_pending or report.gateway_unavailable or report.failed:
            _log.info(
                "pending_payments_recovered",
                resolved=report.resolved,
                still_pending=report.still_pending,
                awaiting_recheck=len(await container.get(RecheckBackoff)),
                gateway_unavailable=report.gateway_unavailable,
                failed=len(report.failed),
            )

    return Periodic(
        round_,
        interval_s=settings.recovery_interval_s,
        task_name="payment-recovery",
        failure_event="payment_recovery_failed",
    )
