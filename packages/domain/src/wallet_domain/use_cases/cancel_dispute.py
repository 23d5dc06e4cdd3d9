"""The client withdraws its dispute: the provider first, then here."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.dispute_changes import (
    dispute_changed_meanwhile,
    dispute_to_change,
    refuse_unless_made,
)
from wallet_domain.model.dispute import Dispute
from wallet_domain.model.events import dispute_event
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.id_generator import IdGenerator
from wallet_domain.ports.payment_gateway import PaymentGateway
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back

_ACTION = "the cancel"


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
    - No lock or connection is held while the provider answers (see dispute_changes);
      the dispute is checked again when the answer is applied: a provider update that
      moved it on meanwhile (or a second cancel) makes this one INVALID_STATE.
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
            dispute = await dispute_to_change(
                self.book,
                self.tx,
                request.dispute_id,
                request.owner,
                allowed=lambda d: d.cancel(self.clock.now()),
                action="cancel it",
            )
            withdrawal = await self.gateway.withdraw_dispute(dispute.id, request.deadline)
        async with rolling_back(self.tx):
            current = await dispute_changed_meanwhile(self.book, dispute.id)
            refuse_unless_made(current, withdrawal, _ACTION, not_filed_made=True)
            now = self.clock.now()
            canceled = current.cancel(now)  # INVALID_STATE if it moved on meanwhile
            await self.book.save(
                canceled, dispute_event(canceled, event_id=self.ids.new_id(), at=now)
            )
            await self.tx.commit()
        return canceled
