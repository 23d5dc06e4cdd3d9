"""A client's change to its dispute that the provider must make first (withdrawing it,
adding evidence), shared by the use cases that make one (use cases do not call each
other): what is checked before the provider is asked, and what its answer means here."""

from __future__ import annotations

import hashlib
import json
from typing import Final

from wallet_domain.errors import GatewayError, GatewayTimeout, InvalidState
from wallet_domain.model.dispute import Dispute
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.payment_gateway import DisputeChangeStatus

_NOT_MADE: Final = "; nothing changed here, send it again"


async def refuse_while_filing(book: DisputeBook, dispute: Dispute, action: str) -> None:
    """INVALID_STATE while the (locked) dispute's filing has no stored reply: the provider
    may be about to get the filing, so a change sent now could find nothing there, or
    reach it before the filing it changes."""
    if await book.lock_filing(dispute.id) is not None:
        raise InvalidState(
            f"the dispute is still being filed with the provider; {action} once its filing"
            " has answered",
            status=dispute.status.value,
        )


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


def evidence_key(dispute: Dispute, texts: tuple[str, ...]) -> str:
    """The provider's idempotency key for adding `texts` to `dispute` as it is now: the
    same for a resend of this addition (nothing was added here meanwhile), another for
    any other."""
    raw = json.dumps([str(dispute.id), len(dispute.evidence), list(texts)])
    return hashlib.sha256(raw.encode()).hexdigest()
