"""One reconciliation: walk the window, and with `fix` correct what is safe to correct.

The walk reads on one request scope (one session, batches in id order); each correction
runs in a request scope of its own, so it commits alone and a failed one leaves the walk
and the other corrections as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog
from dishka import AsyncContainer
from wallet_domain.model.correction import RefundedChargePolicy
from wallet_domain.model.reconciliation import Mismatch, MismatchKind
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.money import Money
from wallet_domain.ports.ledger_payments import LedgerPayments
from wallet_domain.ports.reconcile_progress import ReconcileProgress
from wallet_domain.use_cases.correct_refunded_charge import (
    CorrectionOutcome,
    CorrectRefundedCharge,
    CorrectRefundedChargeRequest,
)
from wallet_domain.use_cases.reconcile_payments import (
    ReconcilePayments,
    ReconcileRequest,
    compare,
)
from wallet_domain.use_cases.resolve_pending_payments import (
    ResolvePendingPayments,
    ResolvePendingRequest,
)

_log = structlog.get_logger("wallet.reconcile")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    since: datetime
    until: datetime
    recovery_window: timedelta
    fix: bool = False
    policy: RefundedChargePolicy = RefundedChargePolicy.REDEBIT
    lookup_timeout_s: float = 5.0


async def reconcile_window(
    container: AsyncContainer, options: RunOptions, progress: ReconcileProgress | None = None
) -> list[Mismatch]:
    """Every mismatch in the window, each with what `--fix` did about it (if asked)."""
    request = ReconcileRequest(
        since=options.since,
        until=options.until,
        recovery_window=options.recovery_window,
        progress=progress,
    )
    found: list[Mismatch] = []
    async with container() as scope:
        walk = await scope.get(ReconcilePayments)
        async for mismatch in walk.execute(request):
            if options.fix:
                mismatch = await _fix(container, options, mismatch)
            found.append(_noted(mismatch))
    return found


def _noted(mismatch: Mismatch) -> Mismatch:
    """A payment flagged by an earlier run says so, whatever this run did."""
    here = mismatch.here
    if mismatch.resolution is None and here is not None and here.flag_reason is not None:
        return replace(mismatch, resolution=f"flagged: {here.flag_reason}")
    return mismatch


async def _fix(container: AsyncContainer, options: RunOptions, mismatch: Mismatch) -> Mismatch:
    """The mismatch with what its correction did; one that fails is reported as such
    (by the error's type only: a driver's message may quote SQL) and the walk goes on."""
    try:
        if mismatch.kind is MismatchKind.CHARGED_NOT_APPROVED:
            return await _correct_refunded_charge(container, options, mismatch)
        if mismatch.kind is MismatchKind.STALE_PENDING:
            return await _settle_stale(container, options, mismatch)
    except Exception as error:
        _log.warning(
            "reconciliation fix failed",
            payment_id=str(mismatch.payment_id),
            kind=str(mismatch.kind),
            error=type(error).__name__,
        )
        return replace(mismatch, resolution=f"fix failed: {type(error).__name__}")
    return mismatch  # reported only: no correction is safe without a person


async def _correct_refunded_charge(
    container: AsyncContainer, options: RunOptions, mismatch: Mismatch
) -> Mismatch:
    here, there = mismatch.here, mismatch.there
    assert here is not None
    assert there is not None
    request = CorrectRefundedChargeRequest(
        user_id=here.user_id,
        payment_id=here.id,
        charged=Money(there.amount, there.currency),
        refunded_there=there.refunded_amount,
        policy=options.policy,
    )
    async with container() as scope:
        result = await (await scope.get(CorrectRefundedCharge)).execute(request)
    if result.outcome in (CorrectionOutcome.REDEBITED, CorrectionOutcome.ALREADY_REDEBITED):
        return replace(mismatch, fixed=True, resolution=str(result.outcome))
    reason = result.reason or here.flag_reason or "flagged before"
    return replace(mismatch, resolution=f"flagged: {reason}")


async def _settle_stale(
    container: AsyncContainer, options: RunOptions, mismatch: Mismatch
) -> Mismatch:
    request = ResolvePendingRequest(
        older_than=options.recovery_window,
        batch=1,
        lookup_timeout_s=options.lookup_timeout_s,
        payment_id=mismatch.payment_id,
    )
    async with container() as scope:
        report = await (await scope.get(ResolvePendingPayments)).execute(request)
    async with container() as scope:
        now = await (await scope.get(LedgerPayments)).payment(mismatch.payment_id)
    if now is not None and now.status is not TransactionStatus.PENDING:
        settled = f"settled {now.status}"
        # Settled is not agreed: the provider's charge in hand may still differ from it
        # (another amount, a refund the wallet never got). Report what is left instead.
        if mismatch.there is not None:
            stale_before = datetime.now(UTC) - options.recovery_window
            left = compare(now, mismatch.there, stale_before=stale_before)
            if left is not None:
                return replace(left, resolution=settled)
        return replace(mismatch, fixed=True, resolution=settled)
    if report.gateway_unavailable:
        return replace(mismatch, resolution="not settled: the gateway is unavailable")
    if report.failed:
        return replace(mismatch, resolution=f"not settled: {report.failed[0].error_type}")
    return replace(mismatch, resolution="not settled: the provider cannot tell yet")
