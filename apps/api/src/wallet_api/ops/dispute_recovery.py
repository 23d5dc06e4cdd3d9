"""The recovery worker's part for disputes, run at the start of each of its rounds
(`payment_recovery.recovery_job`).

It first finishes the disputes whose filing has no stored reply (opened past the
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
from prometheus_client import Counter
from wallet_domain.use_cases.forward_dispute_evidence import (
    ForwardDisputeEvidence,
    ForwardEvidenceReport,
    ForwardEvidenceRequest,
)
from wallet_domain.use_cases.settle_stranded_filings import (
    SettleStrandedFilings,
    SettleStrandedFilingsRequest,
    StrandedFilingsReport,
)
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.recovery import recheck_delays

from wallet_api.ops.recovery_window import recovery_request

_log = structlog.get_logger("wallet_api.recovery")

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
