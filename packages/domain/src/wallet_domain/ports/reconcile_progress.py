from __future__ import annotations

from typing import Protocol
from uuid import UUID


class ReconcileProgress(Protocol):
    """Told of every payment the reconciliation walk passes, so whoever runs a long
    window can show how far it got (the walk is in payment-id order)."""

    def walked(self, payment_id: UUID) -> None: ...
