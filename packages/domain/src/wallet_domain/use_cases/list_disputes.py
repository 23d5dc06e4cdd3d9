"""Page through a wallet's disputes."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.id_pages import page_by_id
from wallet_domain.model.dispute import DisputePage, DisputeStatus
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputesRequest:
    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputes:
    """Newest first, keyset-paginated by id like holds (the cursor is the last id seen),
    optionally only disputes in one status; `next_cursor` is null on the last page. An
    unknown wallet is NOT_FOUND."""

    wallets: Wallets
    book: DisputeBook

    async def execute(self, request: ListDisputesRequest) -> DisputePage:
        items, next_cursor = await page_by_id(
            wallets=self.wallets,
            user_id=request.user_id,
            limit=request.limit,
            cursor=request.cursor,
            status=request.status,
            statuses=DisputeStatus,
            fetch=self.book.page,
        )
        return DisputePage(items=items, next_cursor=next_cursor)
