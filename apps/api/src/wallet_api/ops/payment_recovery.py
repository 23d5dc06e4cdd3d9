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

Each round first finishes the disputes whose filing has no stored reply (opened past the
same window): the provider did not answer in time, or the process stopped between
writing the dispute and storing the reply. The provider is asked whether it has each
(`SettleStrandedFilings`): it has, the key answers 201; it has not, the dispute is filed
now and answered as the request would have (201, or CANCELED and GATEWAY_ERROR); no
answer, it is asked again after a doubling delay and that part of the round ends.
Answered ones are counted in `wallet_recovery_stranded_filings_total`. A failure there is
logged and the payments' round still runs.

Then it sends the provider the evidence clients added to their disputes after filing
(`ForwardDisputeEvidence`): each dispute with texts the provider has not confirmed is
sent them all, the provider adds those it lacks, and the count it holds is recorded (the
dispute's `evidence_forwarded`). Disputes whose evidence the provider took are counted in
`wallet_recovery_evidence_forwarded_total`; no clear answer ends that part of the round
(sent again after the recheck delay), and a refusal is logged and asked again after the
longest recheck delay. A failure there is logged too, and the payments' round still runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import structlog
from dishka import AsyncContainer
from prometheus_client import Counter, Gauge
from wallet_domain.model.payment_backoff import RecheckBackoff, SettleBackoff
from wallet_domain.use_cases.forward_dispute_evidence import (
    ForwardDisputeEvidence,
    ForwardEvidenceReport,
    ForwardEvidenceRequest,
)
from wallet_domain.use_cases.resolve_pending_payments import (
    ResolvePendingPayments,
    ResolvePendingRequest,
    ResolveReport,
)
from wallet_domain.use_cases.settle_stranded_filings import (
    SettleStrandedFilings,
    SettleStrandedFilingsRequest,
    StrandedFilingsReport,
)
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.recovery import recheck_delays
from wallet_infra.runtime.periodic import Periodic

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


STRANDED_FILINGS: Final = Counter(
    "wallet_recovery_stranded_filings",
    "Disputes whose filing had no stored reply (no answer from the provider, or the "
    "process stopped) that the recovery worker settled with the provider, giving their "
    "key its final reply.",
)


EVIDENCE_FORWARDED: Final = Counter(
    "wallet_recovery_evidence_forwarded",
    "Disputes whose evidence (added after filing) the recovery worker sent to the provider "
    "and the provider confirmed holding in full.",
)


def recovery_request(settings: Settings) -> ResolvePendingRequest:
    min_age_s = max(settings.recovery_min_age_s, 2 * settings.request_timeout_s)
    return ResolvePendingRequest(
        older_than=timedelta(seconds=min_age_s),
        batch=settings.recovery_batch,
        lookup_timeout_s=settings.recovery_lookup_timeout_s,
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


def stranded_filings_request(settings: Settings) -> SettleStrandedFilingsRequest:
    """As the payments' round: the same window, batch, timeout and recheck delays."""
    payments = recovery_request(settings)
    recheck_base, recheck_max = recheck_delays(settings)
    return SettleStrandedFilingsRequest(
        older_than=payments.older_than,
        batch=payments.batch,
        lookup_timeout_s=payments.lookup_timeout_s,
        recheck_base=recheck_base,
        recheck_max=recheck_max,
    )


async def answer_stranded_filings(
    container: AsyncContainer, request: SettleStrandedFilingsRequest
) -> StrandedFilingsReport:
    """Finish up to `request.batch` disputes whose filing has no stored reply."""
    async with container() as scope:
        use_case = await scope.get(SettleStrandedFilings)
        report = await use_case.execute(request)
    STRANDED_FILINGS.inc(report.answered)
    if report.answered or report.still_unknown or report.gateway_unavailable:
        _log.warning(
            "stranded_dispute_filings",
            answered=report.answered,
            still_unknown=report.still_unknown,
            gateway_unavailable=report.gateway_unavailable,
        )
    return report


def evidence_request(settings: Settings) -> ForwardEvidenceRequest:
    """As the payments' round: the same batch and timeout; no clear answer is sent again
    after the first recheck delay, a refusal after the longest."""
    payments = recovery_request(settings)
    recheck_base, recheck_max = recheck_delays(settings)
    return ForwardEvidenceRequest(
        batch=payments.batch,
        timeout_s=payments.lookup_timeout_s,
        # Well past one call with its retries: a worker that stopped mid-call leaves the
        # dispute to the others after this.
        lease=timedelta(seconds=max(60.0, 4 * payments.lookup_timeout_s)),
        retry_after=recheck_base,
        refused_retry_after=recheck_max,
    )


async def forward_dispute_evidence(
    container: AsyncContainer, request: ForwardEvidenceRequest
) -> ForwardEvidenceReport:
    """Send the provider the evidence of up to `request.batch` disputes it may lack."""
    async with container() as scope:
        use_case = await scope.get(ForwardDisputeEvidence)
        report = await use_case.execute(request)
    EVIDENCE_FORWARDED.inc(report.forwarded)
    if report.refused or report.unanswered or report.gateway_unavailable:
        _log.warning(
            "dispute_evidence_not_forwarded",
            forwarded=report.forwarded,
            refused=report.refused,
            unanswered=report.unanswered,
            gateway_unavailable=report.gateway_unavailable,
            dispute_ids=[str(d) for d in report.not_taken],
        )
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
