from __future__ import annotations

from typing import Protocol

from wallet_domain.errors import DomainError
from wallet_domain.model.dispute import Dispute
from wallet_domain.model.hold import Hold
from wallet_domain.model.idempotency import StoredResponse
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.model.transfer import Transfer


class ResponseEncoder(Protocol):
    """Renders a command's final reply once, so it can be stored with the change it
    reports and replayed byte for byte. Supplied by the inbound adapter."""

    def created(self, entry: LedgerEntry) -> StoredResponse:
        """A successful deposit or approved payment."""
        ...

    def transferred(self, transfer: Transfer) -> StoredResponse:
        """A completed transfer (201)."""
        ...

    def failed(self, error: DomainError) -> StoredResponse:
        """A final business failure (declined, insufficient funds, gateway error/timeout)."""
        ...

    def transaction(self, entry: LedgerEntry, *, status_code: int) -> StoredResponse:
        """A ledger entry with any success status (a settled pending deposit: 200)."""
        ...

    def hold(self, hold: Hold, *, status_code: int) -> StoredResponse:
        """A hold with any success status (201 created, 200 settled)."""
        ...

    def dispute(self, dispute: Dispute, *, status_code: int) -> StoredResponse:
        """A dispute with any success status (201 opened)."""
        ...
