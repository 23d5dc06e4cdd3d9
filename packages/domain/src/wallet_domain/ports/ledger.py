from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry


class LedgerReads(Protocol):
    """Reading entries (all a history page needs: an adapter of just this can run it
    without the request's transaction)."""

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None: ...

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        """Up to `limit` entries strictly before `before` (from the newest if None), newest
        first: (created_at, id) descending."""
        ...


class Ledger(LedgerReads, Protocol):
    """The append-only `transactions` ledger."""

    async def append(self, entry: LedgerEntry) -> None: ...

    async def claim_stale_pending(
        self, created_before: datetime, *, skip: Sequence[UUID] = (), only: UUID | None = None
    ) -> LedgerEntry | None:
        """Lock one PENDING payment created before `created_before` (not in `skip`; the
        payment `only` if given) until the transaction ends, skipping rows other workers
        hold; None if there is none."""
        ...

    async def still_pending(self, payment_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `payment_ids` that are PENDING payments still (a plain read, no lock):
        the others were settled meanwhile, by their request, a webhook or another worker."""
        ...
