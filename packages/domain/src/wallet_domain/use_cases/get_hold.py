"""Look up one hold."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from wallet_domain.errors import HoldNotFound
from wallet_domain.model.hold import Hold
from wallet_domain.model.wallet import validate_user_id
from wallet_domain.ports.hold_book import HoldBook


@dataclass(frozen=True, slots=True, kw_only=True)
class GetHoldRequest:
    user_id: str
    hold_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class GetHold:
    """The hold and its current status; another wallet's hold is NOT_FOUND."""

    book: HoldBook

    async def execute(self, request: GetHoldRequest) -> Hold:
        user_id = validate_user_id(request.user_id)
        hold = await self.book.get(user_id, request.hold_id)
        if hold is None:
            raise HoldNotFound(hold_id=str(request.hold_id))
        return hold
