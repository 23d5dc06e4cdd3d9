"""Correct a payment the provider charged while the ledger settled it as not charged."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from wallet_domain.errors import InvalidState, PaymentNotFound, RefundedByProvider
from wallet_domain.model.correction import Correction, CorrectionKind, RefundedChargePolicy
from wallet_domain.model.events import DomainEvent, EventType, entry_payload
from wallet_domain.model.transaction import (
    REFUNDED_STATUSES,
    LedgerEntry,
    new_redebit,
)
from wallet_domain.money import Money
from wallet_domain.ports.charge_corrections import ChargeCorrections
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.outbox import OutboxWriter
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.ports.provider_payments import ProviderPayments
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.unit_of_work import rolling_back

NOT_COVERED = "the balance does not cover a re-debit"
CHARGE_DIFFERS = "the provider's charge differs from the payment (amount, currency or a refund)"
POLICY_FLAG = "the settings say to flag, never to re-debit"
REFUNDED_SINCE = "the provider refunded the charge (its payment.refunded came after the listing)"


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectRefundedChargeRequest:
    user_id: str
    payment_id: UUID
    charged: Money  # what the provider charged
    refunded_there: int  # what the provider refunded of it
    policy: RefundedChargePolicy


class CorrectionOutcome(StrEnum):
    REDEBITED = "redebited"  # this call took the refund back
    FLAGGED = "flagged"  # this call flagged it for review
    ALREADY_REDEBITED = "already_redebited"  # nothing written
    ALREADY_FLAGGED = "already_flagged"  # nothing written


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectionResult:
    outcome: CorrectionOutcome
    reason: str | None = None  # why it was flagged
    transaction_id: UUID | None = None  # the REDEBIT row


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectRefundedCharge:
    """Take back the refund of a payment the provider charged after all, or flag it.

    The case: a charge attempt cut by our deadline while the provider was still processing
    it; the lookup said "not charged", so the payment ended FAILED (or DECLINED) and its
    amount was refunded to the wallet, and then the provider charged. The wallet holds
    money twice.

    Rules: only a FAILED or DECLINED (hence refunded) payment is corrected. The refund is
    re-debited only when it is safe: the policy allows it, the provider charged exactly the
    payment's amount and currency and refunded none of it, and the balance covers it; the
    debit, a REDEBIT ledger row, its correction record and `payment.redebited` (on the
    payment's aggregate) commit together. Otherwise the payment is flagged for review with
    the reason. Each kind is recorded at most once per payment (the store enforces it), so
    a second call changes nothing; a payment already re-debited is never flagged after.

    The payment's row is locked first, as the provider's events lock it, so a re-debit and
    a `payment.refunded` about the same payment apply one after the other: a refund that
    comes after the re-debit is credited (the re-debit made room for it), and one stored
    before it (refused: the wallet had its money back already) stops the re-debit, which
    the provider's listing, read before that refund, could not tell. The store refuses
    that re-debit too (`RefundedByProvider`, whoever writes it): should this check ever
    miss the refund, the whole unit is rolled back and the payment flagged all the same.
    """

    payments: ProviderPayments
    events: ProviderEventLog
    ledger: Ledger
    balances: WalletBalances
    corrections: ChargeCorrections
    outbox: OutboxWriter
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator

    async def execute(self, request: CorrectRefundedChargeRequest) -> CorrectionResult:
        async with rolling_back(self.tx):
            try:
                result = await self._correct(request)
            except RefundedByProvider:
                # The store's backstop refused the re-debit: undo the debit and its ledger
                # row, then flag it as the check under the lock would have.
                await self.tx.rollback()
                result = await self._correct(request, refunded=True)
        return result

    async def _correct(
        self, request: CorrectRefundedChargeRequest, *, refunded: bool = False
    ) -> CorrectionResult:
        found = await self.payments.lock(request.payment_id)
        if found is None or found.payment.user_id != request.user_id:
            raise PaymentNotFound(payment_id=str(request.payment_id))
        payment = found.payment
        if payment.status not in REFUNDED_STATUSES:
            raise InvalidState(
                "only a failed or declined payment was refunded",
                payment_id=str(payment.id),
                status=payment.status.value,
            )
        done = await self.corrections.kinds(payment.id)
        if CorrectionKind.REDEBIT in done:
            await self.tx.rollback()
            return CorrectionResult(outcome=CorrectionOutcome.ALREADY_REDEBITED)
        reason = self._refusal(payment, request)
        if reason is None and (refunded or await self.events.refund_recorded(payment.id)):
            reason = REFUNDED_SINCE
        if reason is None:
            if await self.balances.debit_if_covered(payment.user_id, payment.money):
                return await self._redebit(payment)
            reason = NOT_COVERED
        if CorrectionKind.FLAG in done or not await self.corrections.record(
            self._correction(payment, CorrectionKind.FLAG, reason)
        ):
            await self.tx.rollback()
            return CorrectionResult(outcome=CorrectionOutcome.ALREADY_FLAGGED)
        await self.tx.commit()
        return CorrectionResult(outcome=CorrectionOutcome.FLAGGED, reason=reason)

    @staticmethod
    def _refusal(payment: LedgerEntry, request: CorrectRefundedChargeRequest) -> str | None:
        """Why a re-debit is not safe here (None: it is)."""
        if request.policy is RefundedChargePolicy.FLAG:
            return POLICY_FLAG
        if request.charged != payment.money or request.refunded_there:
            return CHARGE_DIFFERS
        return None

    async def _redebit(self, payment: LedgerEntry) -> CorrectionResult:
        now = self.clock.now()
        entry = new_redebit(id=self.ids.new_id(), payment=payment, at=now)
        await self.ledger.append(entry)
        correction = self._correction(
            payment, CorrectionKind.REDEBIT, "charged by the provider", transaction_id=entry.id
        )
        if not await self.corrections.record(correction):
            await self.tx.rollback()  # a concurrent run got there first
            return CorrectionResult(outcome=CorrectionOutcome.ALREADY_REDEBITED)
        await self.outbox.add(
            DomainEvent(
                event_id=self.ids.new_id(),
                event_type=EventType.PAYMENT_REDEBITED,
                occurred_at=now,
                aggregate_id=payment.id,
                user_id=payment.user_id,
                payload={**entry_payload(entry), "redebit_of": str(payment.id)},
            )
        )
        await self.tx.commit()
        return CorrectionResult(outcome=CorrectionOutcome.REDEBITED, transaction_id=entry.id)

    def _correction(
        self,
        payment: LedgerEntry,
        kind: CorrectionKind,
        reason: str,
        *,
        transaction_id: UUID | None = None,
    ) -> Correction:
        return Correction(
            payment_id=payment.id,
            kind=kind,
            user_id=payment.user_id,
            money=payment.money,
            reason=reason,
            at=self.clock.now(),
            transaction_id=transaction_id,
        )
