"""Page through a wallet's disputes."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.pagination import Page
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.wallets import Wallets
from wallet_domain.position_pages import PageRequest, page_by_position


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputesRequest(PageRequest):
    """A page of the wallet's disputes; `status` one of DisputeStatus's values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputes:
    """Newest first by created_at (ties by id), keyset-paginated like the history (the
    cursor is the position of the last dispute seen; an older one naming a dispute by id
    resumes after it), optionally only disputes in one status; `next_cursor` is null on
    the last page. An unknown wallet is NOT_FOUND."""

    wallets: Wallets
    book: DisputeBook

    async def execute(self, request: ListDisputesRequest) -> Page[Dispute]:
        return await page_by_position(
            request,
            wallets=self.wallets,
            statuses=DisputeStatus,
            fetch=self.book.page,
            locate=self.book.position,
        )
