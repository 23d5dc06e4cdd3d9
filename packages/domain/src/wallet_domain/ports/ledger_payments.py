from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.reconciliation import LedgerPayment


class LedgerPayments(Protocol):
    """The ledger's payments, read for reconciliation (no locks, no writes)."""

    def payments(self, since: datetime, until: datetime) -> AsyncIterator[LedgerPayment]:
        """Payments created in [since, until), ordered by id, streamed in batches."""
        ...

    async def payment(self, payment_id: UUID) -> LedgerPayment | None: ...
