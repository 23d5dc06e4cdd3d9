from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.reconciliation import ProviderCharge


class ProviderCharges(Protocol):
    """The provider's own record of what it charged."""

    def charges(self, since: datetime, until: datetime) -> AsyncIterator[ProviderCharge]:
        """Charges made in [since, until), ordered by payment id, streamed page by page."""
        ...

    async def was_charged(self, payment_id: UUID) -> bool | None:
        """Whether the provider holds a charge for this payment (None: it cannot tell now)."""
        ...
