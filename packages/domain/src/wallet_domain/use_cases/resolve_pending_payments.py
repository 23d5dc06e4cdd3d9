"""Resolve payments left PENDING by a crash or an unknown gateway outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.model.payment_backoff import RecheckBackoff, SettleBackoff
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.settlement import PaymentSettlement, status_from_lookup
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvePendingRequest:
    older_than: timedelta
    batch: int
    lookup_timeout_s: float
    payment_id: UUID | None = None  # only this one (reconciliation's fix), if stale


@dataclass(frozen=True, slots=True, kw_only=True)
class SettleFailure:
    """A payment this round could not settle: set aside until `retry_at`."""

    payment_id: UUID
    error_type: str  # the exception's type only: driver messages may quote SQL
    retry_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveReport:
    resolved: int
    still_pending: int  # asked this round, outcome still unknown: asked again later
    gateway_unavailable: bool = False  # the round stopped early: the rest waits
    failed: tuple[SettleFailure, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvePendingPayments:
    """Ask the gateway what became of each stale PENDING payment and settle it.

    Rules: only payments older than `older_than` are touched (only `payment_id` if set), so
    in-flight requests settle their own; each payment is claimed with a row lock that other
    workers skip, so any number of workers resolve each payment once; an outcome the gateway
    still cannot tell is left PENDING (funds stay held), never refunded blindly, and that
    payment is asked about again after a growing delay (`recheck`), so the next rounds move
    on to the others instead of asking the same oldest ones over and over; the request's
    idempotency record, if still in progress, gets the final reply.
    A round takes the payments it has not set aside first, oldest first, and only then the
    set-aside ones whose delay is over: however many old payments the gateway keeps not
    knowing, a younger one nobody has asked about (a crash's, which one lookup settles) is
    reached in the next round. A round for one payment (`payment_id`) asks about it
    whatever its recheck delay: there is nothing else for it to move on to.
    Lookups go through the gateway's admission like payments do: while its circuit is open
    (or its bulkhead full) the round stops at once and the rest stays PENDING for the next
    round, rather than waiting out a dead gateway payment by payment. A payment whose lookup
    or settlement fails unexpectedly is rolled back alone and set aside by `backoff` (a
    growing delay), and the round goes on with the others: one payment that cannot be
    settled never holds up the rest. Set-aside payments that were settled meanwhile (by
    their request, a webhook, another worker) are forgotten at the start of each round.
    Only a failure to read or claim (the database itself) ends the round.
    """

    ledger: Ledger
    settlement: PaymentSettlement
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    backoff: SettleBackoff
    recheck: RecheckBackoff

    async def execute(self, request: ResolvePendingRequest) -> ResolveReport:
        now = self.clock.now()
        cutoff = now - request.older_than
        await self._forget_settled_elsewhere()
        # What each pass skips: the first every set-aside payment, the second only those
        # still inside their delay.
        set_aside = [*self.backoff.tracked(), *self.recheck.tracked()]
        waiting = self.backoff.waiting(now)
        if request.payment_id is None:
            waiting += self.recheck.waiting(now)
        first_pass = True
        failed: list[SettleFailure] = []
        resolved = still_pending = 0
        unavailable = False
        for _ in range(request.batch):
            payment = None
            if first_pass:
                payment = await self._claim(cutoff, set_aside, request.payment_id)
                first_pass = payment is not None
            if payment is None:
                payment = await self._claim(cutoff, waiting, request.payment_id)
            if payment is None:
                break
            # Not again this round, whatever becomes of it.
            set_aside.append(payment.id)
            waiting.append(payment.id)
            try:
                outcome = await self._resolve(payment, request)
            except GatewayUnavailable:
                unavailable = True
                await self.tx.rollback()
                break
            except Exception as exc:
                await self.tx.rollback()
                retry_at = self.backoff.set_aside(payment.id, self.clock.now())
                failed.append(
                    SettleFailure(
                        payment_id=payment.id, error_type=type(exc).__name__, retry_at=retry_at
                    )
                )
                continue
            except BaseException:
                await self.tx.rollback()
                raise
            if outcome is None:
                still_pending += 1
                self.recheck.set_aside(payment.id, self.clock.now())
                continue
            self.backoff.forget(payment.id)
            self.recheck.forget(payment.id)
            resolved += outcome
        return ResolveReport(
            resolved=resolved,
            still_pending=still_pending,
            gateway_unavailable=unavailable,
            failed=tuple(failed),
        )

    async def _forget_settled_elsewhere(self) -> None:
        """Drop the set-aside payments that are no longer PENDING: no round would claim
        them again, so they would stay skipped and counted as waiting for good."""
        tracked = [*self.backoff.tracked(), *self.recheck.tracked()]
        if not tracked:
            return
        async with rolling_back(self.tx):
            pending = await self.ledger.still_pending(tracked)
        await self.tx.rollback()
        self.backoff.keep_only(pending)
        self.recheck.keep_only(pending)

    async def _claim(
        self, cutoff: datetime, skip: list[UUID], only: UUID | None
    ) -> LedgerEntry | None:
        """The oldest stale payment not in `skip`, locked until the transaction ends; None
        (and the transaction ended) if there is none."""
        async with rolling_back(self.tx):
            payment = await self.ledger.claim_stale_pending(cutoff, skip=skip, only=only)
        if payment is None:
            await self.tx.rollback()
        return payment

    async def _resolve(self, payment: LedgerEntry, request: ResolvePendingRequest) -> int | None:
        """Settle one claimed payment and commit: 1 if this call settled it, 0 if it was
        already settled, None if the gateway still cannot tell (rolled back, left PENDING)."""
        async with self.gateway.admission():
            lookup = await self.gateway.lookup(payment.id, Deadline.after(request.lookup_timeout_s))
        final = status_from_lookup(lookup)
        if final is None:
            await self.tx.rollback()
            return None
        # Stores the final reply under the request's key if that is still open.
        settled = await self.settlement.settle(payment, final, timed_out=True) is not None
        await self.tx.commit()
        return 1 if settled else 0
