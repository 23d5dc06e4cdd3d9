"""A client's change to its dispute that the provider must make first (withdrawing it),
kept apart from its use case: what is checked before the provider is asked, and what its
answer means here.

No lock or database connection is held while the provider answers (a slow provider would
otherwise pin the pool): the dispute is checked in one short transaction, the provider
asked, and the change applied in a second one that checks the dispute again (the
provider's own updates may have moved it meanwhile)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from uuid import UUID

from wallet_domain.errors import DisputeNotFound, GatewayError, GatewayTimeout, InvalidState
from wallet_domain.model.dispute import Dispute
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.payment_gateway import DisputeChangeStatus
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back

_NOT_MADE: Final = "; nothing changed here, send it again"


async def dispute_to_change(
    book: DisputeBook,
    tx: TransactionManager,
    dispute_id: UUID,
    owner: str | None,
    *,
    allowed: Callable[[Dispute], object],
    action: str,
) -> Dispute:
    """The dispute as it is, if the change may be sent to the provider: NOT_FOUND if it is
    not `owner`'s; what `allowed` raises (INVALID_STATE off the graph); INVALID_STATE while
    its filing has no stored reply (the provider may be about to get the filing, so a
    change sent now could find nothing there, or reach it before the filing it changes).
    Read in a transaction of its own, ended before the provider is asked."""
    async with rolling_back(tx):
        dispute = await book.lock(dispute_id, owner)
        if dispute is None:
            raise DisputeNotFound(dispute_id=str(dispute_id))
        allowed(dispute)
        if await book.lock_filing(dispute.id) is not None:
            raise InvalidState(
                f"the dispute is still being filed with the provider; {action} once its"
                " filing has answered",
                status=dispute.status.value,
            )
    await tx.rollback()  # nothing written: the lock goes before the provider is asked
    return dispute


async def dispute_changed_meanwhile(book: DisputeBook, dispute_id: UUID) -> Dispute:
    """The dispute again, locked until the caller's transaction ends, to apply the change
    the provider made (its status or evidence may have moved since it was checked)."""
    dispute = await book.lock(dispute_id, None)
    if dispute is None:  # disputes are never deleted
        raise RuntimeError(f"dispute {dispute_id} vanished")
    return dispute


def refuse_unless_made(
    dispute: Dispute, answer: DisputeChangeStatus, action: str, *, not_filed_made: bool
) -> None:
    """Return if the provider made the change (`not_filed_made`: also when it has no such
    dispute, where there is nothing to change); otherwise raise what the client is told,
    with nothing changed here: the provider went past where it takes the change
    (INVALID_STATE; its update follows), failed it (GATEWAY_ERROR) or did not answer in
    time (GATEWAY_TIMEOUT; it may have made it, and a resend is answered the same)."""
    if answer is DisputeChangeStatus.DONE:
        return
    if answer is DisputeChangeStatus.NOT_FILED and not_filed_made:
        return
    dispute_id = str(dispute.id)
    if answer is DisputeChangeStatus.DECIDED:
        raise InvalidState(
            f"the provider has moved the dispute past where it takes {action}; its update follows",
            status=dispute.status.value,
        )
    if answer is DisputeChangeStatus.NOT_FILED:
        raise GatewayError(
            f"the provider has no record of the dispute to take {action}" + _NOT_MADE,
            dispute_id=dispute_id,
        )
    if answer is DisputeChangeStatus.FAILED:
        raise GatewayError(f"the provider did not take {action}" + _NOT_MADE, dispute_id=dispute_id)
    raise GatewayTimeout(
        f"the provider did not answer {action} in time" + _NOT_MADE, dispute_id=dispute_id
    )
