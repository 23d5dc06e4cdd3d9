"""Page through a wallet's disputes."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.id_pages import page_by_id
from wallet_domain.model.dispute import Dispute, DisputePage, DisputeStatus
from wallet_domain.model.pagination import DEFAULT_PAGE_SIZE
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputesRequest:
    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    status: str | None = None


class ListDisputes:
    """Newest first, keyset-paginated by id like holds (the cursor is the last id seen),
    optionally only disputes in one status; `next_cursor` is null on the last page. An
    unknown wallet is NOT_FOUND."""

    def __init__(self, *, wallets: Wallets, book: DisputeBook) -> None:
        self._wallets = wallets
        self._book = book

    async def execute(self, request: ListDisputesRequest) -> DisputePage:
        async def fetch(
            user_id: str, status: DisputeStatus | None, before: UUID | None, limit: int
        ) -> list[Dispute]:
            return await self._book.page(user_id, status, before=before, limit=limit)

        items, next_cursor = await page_by_id(
            wallets=self._wallets,
            user_id=request.user_id,
            limit=request.limit,
            cursor=request.cursor,
            status=request.status,
            statuses=DisputeStatus,
            fetch=fetch,
        )
        return DisputePage(items=items, next_cursor=next_cursor)
