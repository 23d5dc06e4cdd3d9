"""Page through a wallet's ledger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    LedgerFilter,
    LedgerPosition,
    Page,
    decode_cursor,
    encode_cursor,
    validate_limit,
)
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.money import ensure_supported
from wallet_domain.ports.ledger import LedgerReads
from wallet_domain.ports.wallets import WalletLookup


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTransactionsRequest:
    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    type: str | None = None
    status: str | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTransactions:
    """Newest first by created_at (ties by id), so the order is the one the timestamps
    shown agree with, whichever clock or process made the ids. Keyset-paginated: the
    cursor is the position of the previous page's last entry, so a page costs the same at
    any depth and rows committed during a walk cause no duplicates. `next_cursor` is null
    on the last page.

    A cursor from before this order (it names an entry by id only) resumes after that
    entry; one that names no entry of this wallet ends the walk (an empty last page)."""

    wallets: WalletLookup
    ledger: LedgerReads
    currencies: frozenset[str]

    async def execute(self, request: ListTransactionsRequest) -> Page[LedgerEntry]:
        user_id = validate_user_id(request.user_id)
        limit = validate_limit(request.limit)
        before = decode_cursor(request.cursor) if request.cursor is not None else None
        filters = LedgerFilter(
            type=_parse(TransactionType, request.type, "type"),
            status=_parse(TransactionStatus, request.status, "status"),
            currency=(
                ensure_supported(request.currency, self.currencies)
                if request.currency is not None
                else None
            ),
        )
        if isinstance(before, UUID):
            named = await self.ledger.get(user_id, before)
            if named is None:
                await self._ensure_wallet(user_id)
                return Page(items=[], next_cursor=None)
            before = LedgerPosition.of(named)
        rows = await self.ledger.page(user_id, filters, before=before, limit=limit + 1)
        if not rows:
            await self._ensure_wallet(user_id)
        items = rows[:limit]
        has_more = len(rows) > limit
        return Page(
            items=items,
            next_cursor=encode_cursor(LedgerPosition.of(items[-1])) if has_more else None,
        )

    async def _ensure_wallet(self, user_id: str) -> None:
        """Asked only when nothing was found: a wallet with entries exists, so a page
        with rows costs one read."""
        if await self.wallets.get(user_id) is None:
            raise WalletNotFound(user_id=user_id)


_E = TypeVar("_E", TransactionType, TransactionStatus)


def _parse(enum: type[_E], value: str | None, field: str) -> _E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(
            f"{field} must be one of {', '.join(m.value for m in enum)}", field=field
        ) from None
