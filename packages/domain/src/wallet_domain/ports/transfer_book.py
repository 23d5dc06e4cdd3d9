from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse
from wallet_domain.model.transfer import Transfer, TransferLegs


class MoveOutcome(StrEnum):
    MOVED = "MOVED"  # key claimed with the reply; debited, credited, rows + event written
    REFUSED = "REFUSED"  # the sender's balance does not cover it: key claimed with the refusal
    HELD = "HELD"  # the key was already held: nothing written
    NO_SENDER = "NO_SENDER"  # no such sending wallet: nothing written
    NO_RECEIVER = "NO_RECEIVER"  # no such receiving wallet: nothing written


@dataclass(frozen=True, slots=True)
class Move:
    outcome: MoveOutcome
    holder: IdempotencyRecord | None = None  # set when HELD


class TransferBook(Protocol):
    """Transfers and their one all-or-nothing write, in the caller's transaction."""

    async def move(
        self,
        transfer: Transfer,
        legs: TransferLegs,
        claim: IdempotencyRecord,
        completed: DomainEvent,
        refusal: StoredResponse,
    ) -> Move:
        """Claim the sender's key and, if the sender's balance covers the transfer, debit
        it, credit the receiver (creating its balance in that currency if it has none),
        and append `transfer`, both `legs` and `completed`; the key is claimed already
        answered with `claim.response`. If the balance does not cover it, the key is
        claimed answered with `refusal` and nothing else changes.

        Both balance rows are locked in one fixed order whatever the direction, so
        transfers A->B and B->A running at once wait for each other instead of
        deadlocking. Raises ValidationError, with nothing written, when the credit would
        take the receiver past the largest amount a wallet may own in a currency."""
        ...

    async def get(self, transfer_id: UUID) -> Transfer | None:
        """The transfer as committed, or None."""
        ...
