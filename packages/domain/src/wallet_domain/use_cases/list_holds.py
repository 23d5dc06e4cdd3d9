"""Page through a wallet's holds."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.pagination import Page
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.wallets import Wallets
from wallet_domain.position_pages import PageRequest, page_by_position


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHoldsRequest(PageRequest):
    """A page of the wallet's holds; `status` one of HoldStatus's values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHolds:
    """Newest first by created_at (ties by id), keyset-paginated like the history (the
    cursor is the position of the last hold seen; an older one naming a hold by id resumes
    after it), optionally only holds in one status; `next_cursor` is null on the last
    page."""

    wallets: Wallets
    book: HoldBook

    async def execute(self, request: ListHoldsRequest) -> Page[Hold]:
        return await page_by_position(
            request,
            wallets=self.wallets,
            statuses=HoldStatus,
            fetch=self.book.page,
            locate=self.book.position,
        )
