"""Resolve payments left PENDING by a crash or an unknown gateway outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.settlement import PaymentSettlement, status_from_lookup


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvePendingRequest:
    older_than: timedelta
    batch: int
    lookup_timeout_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveReport:
    resolved: int
    still_pending: int
    gateway_unavailable: bool = False  # the round stopped early: the rest waits


class ResolvePendingPayments:
    """Ask the gateway what became of each stale PENDING payment and settle it.

    Rules: only payments older than `older_than` are touched, so in-flight requests
    settle their own; each payment is claimed with a row lock that other workers skip,
    so any number of workers resolve each payment once; an outcome the gateway still
    cannot tell is left PENDING (funds stay held) for the next round, never refunded
    blindly; the request's idempotency record, if still in progress, gets the final reply.
    Lookups go through the gateway's admission like payments do: while its circuit is
    open (or its bulkhead full) the round stops at once and the rest stays PENDING for the
    next round, rather than waiting out a dead gateway payment by payment.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        settlement: PaymentSettlement,
        gateway: PaymentGateway,
        tx: TransactionManager,
        clock: Clock,
    ) -> None:
        self._ledger = ledger
        self._settlement = settlement
        self._gateway = gateway
        self._tx = tx
        self._clock = clock

    async def execute(self, request: ResolvePendingRequest) -> ResolveReport:
        cutoff = self._clock.now() - request.older_than
        unresolved: list[UUID] = []
        resolved = 0
        unavailable = False
        for _ in range(request.batch):
            try:
                payment = await self._ledger.claim_stale_pending(cutoff, skip=unresolved)
                if payment is None:
                    await self._tx.rollback()
                    break
                try:
                    async with self._gateway.admission():
                        lookup = await self._gateway.lookup(
                            payment.id, Deadline.after(request.lookup_timeout_s)
                        )
                except GatewayUnavailable:
                    unavailable = True
                    await self._tx.rollback()
                    break
                final = status_from_lookup(lookup)
                if final is None:
                    unresolved.append(payment.id)
                    await self._tx.rollback()
                    continue
                # Stores the final reply under the request's key if that is still open.
                if await self._settlement.settle(payment, final, timed_out=True) is not None:
                    resolved += 1
                await self._tx.commit()
            except BaseException:
                await self._tx.rollback()
                raise
        return ResolveReport(
            resolved=resolved, still_pending=len(unresolved), gateway_unavailable=unavailable
        )
