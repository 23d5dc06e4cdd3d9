"""A ledger entry as shown to clients, and a page of them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from wallet_api.schemas.base import ResponseBody


class TransactionOut(ResponseBody):
    id: UUID
    type: str
    status: str
    amount: int
    currency: str
    provider_id: UUID | None
    external_reference: str | None
    reference: str | None
    refund_of: UUID | None
    hold_id: UUID | None
    transfer_id: UUID | None
    dispute_id: UUID | None
    created_at: datetime
    updated_at: datetime


class TransactionPage(ResponseBody):
    items: list[TransactionOut]
    next_cursor: str | None
