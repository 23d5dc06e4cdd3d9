"""Page through a wallet's holds."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.hold import HoldPage, HoldStatus
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    decode_id_cursor,
    encode_id_cursor,
    validate_limit,
)
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.hold_book import HoldBook
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHoldsRequest:
    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListHolds:
    """Newest first, keyset-paginated like the ledger (the cursor is the last id seen),
    optionally only holds in one status; `next_cursor` is null on the last page."""

    wallets: Wallets
    book: HoldBook

    async def execute(self, request: ListHoldsRequest) -> HoldPage:
        user_id = validate_user_id(request.user_id)
        limit = validate_limit(request.limit)
        before = decode_id_cursor(request.cursor) if request.cursor is not None else None
        status = None
        if request.status is not None:
            try:
                status = HoldStatus(request.status)
            except ValueError:
                raise ValidationError("status is invalid", field="status") from None
        if await self.wallets.get(user_id) is None:
            raise WalletNotFound(user_id=user_id)
        rows = await self.book.page(user_id, status, before=before, limit=limit + 1)
        items = rows[:limit]
        return HoldPage(
            items=items, next_cursor=encode_id_cursor(items[-1].id) if len(rows) > limit else None
        )
