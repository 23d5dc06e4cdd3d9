"""The client withdraws its dispute: the provider first, then here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import DisputeNotFound, GatewayError, GatewayTimeout, InvalidState
from wallet_domain.model.dispute import Dispute
from wallet_domain.model.events import dispute_event
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.payment_gateway import PaymentGateway, WithdrawalStatus
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back

_NOT_MADE: Final = "; nothing changed here, send it again"


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelDisputeRequest:
    dispute_id: UUID
    owner: str | None  # the caller's wallet for a scoped key; None for a service key
    deadline: Deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelDispute:
    """OPEN or UNDER_REVIEW -> CANCELED with `dispute.updated`, once the provider has
    withdrawn it: a dispute canceled here but not there could still be decided there,
    and its `won` (the chargeback) would then be refused here and never credited.

    Rules:
    - Another wallet's dispute (for a scoped key) is NOT_FOUND; any other status, or a
      filing whose reply is not stored yet (the provider may be about to get it: cancel
      once the key has answered), is INVALID_STATE with the dispute's status. The gateway
      refusing calls at once is GATEWAY_UNAVAILABLE. Nothing is changed by any of these.
    - No lock or connection is held while the provider answers (a slow provider would
      otherwise pin the pool): the dispute is checked in one short transaction, and
      checked again when the answer is applied in a second: a provider update that moved
      it on meanwhile (or a second cancel) makes this one INVALID_STATE.
    - Withdrawn, or never filed there: CANCELED. The provider says it went past that
      (it has moved the dispute on; its update follows): INVALID_STATE. No clear answer:
      GATEWAY_ERROR (5xx, unreachable) or GATEWAY_TIMEOUT (it may have withdrawn it);
      the dispute is unchanged and the cancel can be sent again (a repeat finds it
      withdrawn).
    """

    book: DisputeBook
    gateway: PaymentGateway
    tx: TransactionManager
    clock: Clock
    ids: IdGenerator

    async def execute(self, request: CancelDisputeRequest) -> Dispute:
        async with self.gateway.admission():
            dispute = await self._cancelable(request)
            withdrawal = await self.gateway.withdraw_dispute(dispute.id, request.deadline)
        async with rolling_back(self.tx):
            current = await self.book.lock(dispute.id, None)
            if current is None:  # disputes are never deleted
                raise RuntimeError(f"dispute {dispute.id} vanished")
            _refuse_unless_withdrawn(current, withdrawal)
            now = self.clock.now()
            canceled = current.cancel(now)  # INVALID_STATE if it moved on meanwhile
            await self.book.save(
                canceled, dispute_event(canceled, event_id=self.ids.new_id(), at=now)
            )
            await self.tx.commit()
        return canceled

    async def _cancelable(self, request: CancelDisputeRequest) -> Dispute:
        """The dispute, if the withdrawal may be sent, read in a transaction ended before
        the provider is asked."""
        async with rolling_back(self.tx):
            dispute = await self.book.lock(request.dispute_id, request.owner)
            if dispute is None:
                raise DisputeNotFound(dispute_id=str(request.dispute_id))
            dispute.cancel(self.clock.now())  # INVALID_STATE off the graph
            if await self.book.lock_filing(dispute.id) is not None:
                raise InvalidState(
                    "the dispute is still being filed with the provider; cancel it once"
                    " its filing has answered",
                    status=dispute.status.value,
                )
        await self.tx.rollback()  # nothing written: the lock goes before the call
        return dispute


def _refuse_unless_withdrawn(dispute: Dispute, withdrawal: WithdrawalStatus) -> None:
    """Return if the provider withdrew the dispute or never had it; otherwise raise what
    the client is told, with nothing changed here."""
    if withdrawal in (WithdrawalStatus.WITHDRAWN, WithdrawalStatus.NOT_FILED):
        return
    dispute_id = str(dispute.id)
    if withdrawal is WithdrawalStatus.DECIDED:
        raise InvalidState(
            "the provider has moved the dispute past where it takes the cancel; its update follows",
            status=dispute.status.value,
        )
    if withdrawal is WithdrawalStatus.FAILED:
        raise GatewayError(
            "the provider did not take the cancel" + _NOT_MADE, dispute_id=dispute_id
        )
    raise GatewayTimeout(
        "the provider did not answer the cancel in time" + _NOT_MADE, dispute_id=dispute_id
    )
