"""Compare the ledger's payments with the provider's charges over a time window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from wallet_domain.model.reconciliation import (
    LedgerPayment,
    Mismatch,
    MismatchKind,
    ProviderCharge,
)
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.ledger_payments import LedgerPayments
from wallet_domain.ports.provider_charges import ProviderCharges
from wallet_domain.ports.reconcile_progress import ReconcileProgress

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileRequest:
    since: datetime
    until: datetime
    recovery_window: timedelta  # a PENDING payment older than this should have settled
    progress: ReconcileProgress | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcilePayments:
    """Walk both records over the window and yield every mismatch.

    Rules: both sides are streamed in payment-id order and merged, so memory does not
    grow with the window. A payment on one side only is looked up on the other by id
    before it is reported (it may fall just outside the window there: created before
    `since` but charged after it). A charge that FAILED or DECLINED here was refunded to
    the wallet: the provider has money the wallet got back (`charged_not_approved`),
    unless the provider refunded it too or a reconciliation REDEBIT took the refund back
    (a payment only flagged for review is still reported); a re-debited charge that the
    provider then refunded without the wallet getting it back is `refund_missing`, and one
    credited more provider refunds than the provider lists is `refund_over_credited` (the
    re-debit cannot fix that). APPROVED here needs exactly one charge there, of the same
    amount and currency, and the same refunded amount (less here: `refund_missing`; more:
    `refund_over_credited`). PENDING is only reported once older than the recovery
    window (the recovery worker settles the younger ones). This use case only reads;
    corrections are separate use cases.
    """

    ledger: LedgerPayments
    provider: ProviderCharges
    clock: Clock

    async def execute(self, request: ReconcileRequest) -> AsyncIterator[Mismatch]:
        stale_before = self.clock.now() - request.recovery_window
        ours = self.ledger.payments(request.since, request.until)
        theirs = self.provider.charges(request.since, request.until)
        here, there = await _next(ours), await _next(theirs)
        while here is not None or there is not None:
            if there is None or (here is not None and here.id < there.payment_id):
                assert here is not None
                walked = here.id
                found = await self._only_here(here, stale_before)
                here = await _next(ours)
            elif here is None or there.payment_id < here.id:
                walked = there.payment_id
                found = await self._only_there(there, stale_before)
                there = await _next(theirs)
            else:
                walked = here.id
                found = compare(here, there, stale_before=stale_before)
                here, there = await _next(ours), await _next(theirs)
            if request.progress is not None:
                request.progress.walked(walked)
            if found is not None:
                yield found

    async def _only_here(self, here: LedgerPayment, stale_before: datetime) -> Mismatch | None:
        if here.status is TransactionStatus.PENDING:
            return _stale(here, None, stale_before)
        if here.status is not TransactionStatus.APPROVED:
            return None  # not charged, and not charged there: agreed
        if await self.provider.was_charged(here.id):
            return None  # charged outside the window there
        return Mismatch(
            kind=MismatchKind.APPROVED_NOT_CHARGED, payment_id=here.id, here=here, there=None
        )

    async def _only_there(self, there: ProviderCharge, stale_before: datetime) -> Mismatch | None:
        here = await self.ledger.payment(there.payment_id)
        if here is None:
            return Mismatch(
                kind=MismatchKind.UNKNOWN_HERE, payment_id=there.payment_id, here=None, there=there
            )
        return compare(here, there, stale_before=stale_before)


def compare(
    here: LedgerPayment, there: ProviderCharge, *, stale_before: datetime
) -> Mismatch | None:
    """How one payment and the provider's charge of it disagree (None: they agree); a
    PENDING payment created before `stale_before` is `stale_pending`."""
    if here.status is TransactionStatus.PENDING:
        return _stale(here, there, stale_before)
    if here.status is not TransactionStatus.APPROVED:
        kept = max(0, there.amount - there.refunded_amount)  # what the provider still holds
        # What the wallet paid for that charge: its debit, less its refund here and the
        # provider's refunds credited since, plus what a REDEBIT took back.
        paid = here.amount - here.refunded_amount + here.redebited_amount
        if paid < kept:
            # A re-debited charge already took its refund back: what is still short is
            # provider refunds credited here that the provider does not list.
            kind = (
                MismatchKind.REFUND_OVER_CREDITED
                if here.redebited_amount
                else MismatchKind.CHARGED_NOT_APPROVED
            )
            return Mismatch(kind=kind, payment_id=here.id, here=here, there=there)
        if paid > kept:  # the provider refunded a re-debited charge we did not credit
            return Mismatch(
                kind=MismatchKind.REFUND_MISSING, payment_id=here.id, here=here, there=there
            )
        return None  # refunded there too, or the refund here was taken back
    if (here.amount, here.currency) != (there.amount, there.currency):
        return Mismatch(
            kind=MismatchKind.AMOUNT_DIFFERS, payment_id=here.id, here=here, there=there
        )
    if there.refunded_amount > here.refunded_amount:
        return Mismatch(
            kind=MismatchKind.REFUND_MISSING, payment_id=here.id, here=here, there=there
        )
    if there.refunded_amount < here.refunded_amount:
        return Mismatch(
            kind=MismatchKind.REFUND_OVER_CREDITED, payment_id=here.id, here=here, there=there
        )
    return None


def _stale(
    here: LedgerPayment, there: ProviderCharge | None, stale_before: datetime
) -> Mismatch | None:
    if here.created_at >= stale_before:
        return None
    return Mismatch(kind=MismatchKind.STALE_PENDING, payment_id=here.id, here=here, there=there)


async def _next(items: AsyncIterator[T]) -> T | None:
    """The next item of `items`, or None at the end."""
    async for item in items:
        return item
    return None
