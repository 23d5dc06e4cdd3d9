"""Page through a wallet's disputes."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.dispute import DisputePage, DisputeStatus
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    decode_id_cursor,
    encode_id_cursor,
    validate_limit,
)
from wallet_domain.model.wallet import validate_user_id
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
    optionally only disputes in one status; `next_cursor` is null on the last page."""

    def __init__(self, *, wallets: Wallets, book: DisputeBook) -> None:
        self._wallets = wallets
        self._book = book

    async def execute(self, request: ListDisputesRequest) -> DisputePage:
        user_id = validate_user_id(request.user_id)
        limit = validate_limit(request.limit)
        before = decode_id_cursor(request.cursor) if request.cursor is not None else None
        status = None
        if request.status is not None:
            try:
                status = DisputeStatus(request.status)
            except ValueError:
                raise ValidationError("status is invalid", field="status") from None
        if await self._wallets.get(user_id) is None:
            raise WalletNotFound(user_id=user_id)
        rows = await self._book.page(user_id, status, before=before, limit=limit + 1)
        items = rows[:limit]
        return DisputePage(
            items=items, next_cursor=encode_id_cursor(items[-1].id) if len(rows) > limit else None
        )
