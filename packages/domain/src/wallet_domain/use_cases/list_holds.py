"""Page through a wallet's holds."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.id_pages import IdPageRequest, page_by_id
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.pagination import Page
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHoldsRequest(IdPageRequest):
    """A page of the wallet's holds; `status` one of HoldStatus's values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHolds:
    """Newest first, keyset-paginated like the ledger (the cursor is the last id seen),
    optionally only holds in one status; `next_cursor` is null on the last page."""

    wallets: Wallets
    book: HoldBook

    async def execute(self, request: ListHoldsRequest) -> Page[Hold]:
        return await page_by_id(
            request, wallets=self.wallets, statuses=HoldStatus, fetch=self.book.page
        )
