from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import LedgerEntry


class OpenOutcome(StrEnum):
    DEBITED = "DEBITED"  # key claimed in progress, debited, payment + event written
    REFUSED = "REFUSED"  # the balance does not cover it: key claimed with the refusal
    HELD = "HELD"  # the key was already held: nothing written
    NO_WALLET = "NO_WALLET"  # no such wallet: nothing written


@dataclass(frozen=True, slots=True)
class Opening:
    outcome: OpenOutcome
    holder: IdempotencyRecord | None = None  # set when HELD


class PaymentBook(Protocol):
    """A payment's two writes (debit, then settle). Each is all-or-nothing and meant to
    cost one round trip: it joins the caller's open transaction if there is one, else it
    commits on its own."""

    async def open(
        self,
        payment: LedgerEntry,
        claim: IdempotencyRecord,
        created: DomainEvent,
        refusal: StoredResponse,
    ) -> Opening:
        """Claim the key and, if the balance covers the payment, debit it (the balance
        row stays locked until commit, so it never goes negative) and append `payment`
        and `created`; if it does not, claim the key already answered with `refusal`.
        Waits for a concurrent claimer of the same key to commit or roll back."""
        ...

    async def settle(self, settlement: Settlement) -> bool:
        """Move the PENDING payment to its final status, credit and append the refund if
        any, add the events, and store the reply in the payment's idempotency record if
        that is still in progress. False, with nothing written, if the payment was no
        longer PENDING (someone else settled it)."""
        ...
