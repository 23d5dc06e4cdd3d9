"""What settling a payment writes, decided in full before any of it is written."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.transaction import LedgerEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Settlement:
    """The payment in its final status, the refund that compensates it (unless approved),
    their events in publishing order, and the reply its idempotency key gets if the key
    is still in progress."""

    payment: LedgerEntry
    refund: LedgerEntry | None
    events: tuple[DomainEvent, ...]
    reply: StoredResponse
