"""One page of a wallet's resources listed newest first by id (holds, disputes), shared
by their list use cases so both page, filter and refuse alike (use cases do not call
each other)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    decode_id_cursor,
    encode_id_cursor,
    validate_limit,
)
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.wallets import Wallets


class HasId(Protocol):
    @property
    def id(self) -> UUID: ...


T = TypeVar("T", bound=HasId)
S = TypeVar("S", bound=StrEnum)
R = TypeVar("R")
S_contra = TypeVar("S_contra", bound=StrEnum, contravariant=True)


class Fetch(Protocol[S_contra, R]):
    """A book's `page`: up to `limit` items with id < `before`, newest first."""

    async def __call__(
        self, user_id: str, status: S_contra | None, *, before: UUID | None, limit: int
    ) -> list[R]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class IdPageRequest:
    """What a list use case is asked: a wallet, a page size, the cursor of the page before
    (the last id seen) and optionally one status to keep."""

    user_id: str
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    status: str | None = None


async def page_by_id(
    request: IdPageRequest,
    *,
    wallets: Wallets,
    statuses: type[S],
    fetch: Fetch[S, T],
) -> Page[T]:
    """Up to `limit` items older than the cursor's id (optionally only in `status`), with
    the cursor of the next page (None on the last). A bad limit, cursor or status is
    VALIDATION_ERROR; an unknown wallet NOT_FOUND."""
    user_id = validate_user_id(request.user_id)
    limit = validate_limit(request.limit)
    before = decode_id_cursor(request.cursor) if request.cursor is not None else None
    wanted = None
    if request.status is not None:
        try:
            wanted = statuses(request.status)
        except ValueError:
            raise ValidationError("status is invalid", field="status") from None
    if await wallets.get(user_id) is None:
        raise WalletNotFound(user_id=user_id)
    rows = await fetch(user_id, wanted, before=before, limit=limit + 1)
    items = rows[:limit]
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)
