"""Page through a wallet's disputes."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.id_pages import IdPageRequest, page_by_id
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.pagination import Page
from wallet_domain.ports.dispute_book import DisputeBook
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputesRequest(IdPageRequest):
    """A page of the wallet's disputes; `status` one of DisputeStatus's values."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListDisputes:
    """Newest first, keyset-paginated by id like holds (the cursor is the last id seen),
    optionally only disputes in one status; `next_cursor` is null on the last page. An
    unknown wallet is NOT_FOUND."""

    wallets: Wallets
    book: DisputeBook

    async def execute(self, request: ListDisputesRequest) -> Page[Dispute]:
        return await page_by_id(
            request, wallets=self.wallets, statuses=DisputeStatus, fetch=self.book.page
        )
