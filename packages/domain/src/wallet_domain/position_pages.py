"""One page of a wallet's resources listed newest first by (created_at, id), as the
history is (holds, disputes), shared by their list use cases so both page, filter and
refuse alike (use cases do not call each other)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    LedgerPosition,
    Page,
    Positioned,
    decode_cursor,
    encode_cursor,
    validate_limit,
)
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.wallets import Wallets

T = TypeVar("T", bound=Positioned)
S = TypeVar("S", bound=StrEnum)
R = TypeVar("R")
S_contra = TypeVar("S_contra", bound=StrEnum, contravariant=True)


class Fetch(Protocol[S_contra, R]):
    """A book's `page`: up to `limit` items strictly before `before`, newest first by
    (created_at, id)."""

    async def __call__(
        self, user_id: str, status: S_contra | None, *, before: LedgerPosition | None, limit: int
    ) -> list[R]: ...


class Locate(Protocol):
    """A book's `position`: where the wallet's item `item_id` sits (None if it has none)."""

    async def __call__(self, user_id: str, item_id: UUID, /) -> LedgerPosition | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """What a list use case is asked: a wallet, a page size, the cursor of the page before
    and optionally one status to keep."""

    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    status: str | None = None


async def page_by_position(
    request: PageRequest,
    *,
    wallets: Wallets,
    statuses: type[S],
    fetch: Fetch[S, T],
    locate: Locate,
) -> Page[T]:
    """Up to `limit` items after the cursor's position (optionally only in `status`),
    with the cursor of the next page (None on the last). A cursor from when these lists
    were ordered by id alone names an item by id: the page resumes after that item, or is
    an empty last page if the wallet has no such item. A bad limit, cursor or status is
    VALIDATION_ERROR; an unknown wallet NOT_FOUND."""
    user_id = validate_user_id(request.user_id)
    limit = validate_limit(request.limit)
    cursor = decode_cursor(request.cursor) if request.cursor is not None else None
    wanted = None
    if request.status is not None:
        try:
            wanted = statuses(request.status)
        except ValueError:
            raise ValidationError("status is invalid", field="status") from None
    if await wallets.get(user_id) is None:
        raise WalletNotFound(user_id=user_id)
    before: LedgerPosition | None
    if isinstance(cursor, UUID):
        before = await locate(user_id, cursor)
        if before is None:
            return Page(items=[], next_cursor=None)
    else:
        before = cursor
    rows = await fetch(user_id, wanted, before=before, limit=limit + 1)
    items = rows[:limit]
    next_cursor = encode_cursor(LedgerPosition.of(items[-1])) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
