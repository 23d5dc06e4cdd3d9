from __future__ import annotations

from typing import Protocol

from wallet_domain.errors import DomainError
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
