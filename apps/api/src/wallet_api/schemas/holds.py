"""Holds: create and complete requests, the hold as shown, and a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import Field, StrictInt, StrictStr
from wallet_domain.model.external_reference import MAX_DEPOSIT_REFERENCE
from wallet_domain.model.hold import MAX_HOLD_EXPIRY, MIN_HOLD_EXPIRY, HoldStatus

from wallet_api.schemas.base import RequestBody, ResponseBody
from wallet_api.schemas.constraints import AmountField, CurrencyField, printable_rule

EXPIRES_IN_RULE: Final[dict[str, Any]] = {
    "minimum": int(MIN_HOLD_EXPIRY.total_seconds()),
    "maximum": int(MAX_HOLD_EXPIRY.total_seconds()),
}
HOLD_STATUS_RULE: Final[dict[str, Any]] = {"enum": [s.value for s in HoldStatus]}


class HoldIn(RequestBody):
    amount: AmountField
    currency: CurrencyField
    reference: (
        Annotated[StrictStr, Field(json_schema_extra=printable_rule(MAX_DEPOSIT_REFERENCE))] | None
    ) = None
    expires_in_s: (
        Annotated[
            StrictInt,
            Field(
                description="seconds until the hold expires (default 7 days, at most 30)",
                json_schema_extra=EXPIRES_IN_RULE,
            ),
        ]
        | None
    ) = None


class HoldCompleteIn(RequestBody):
    amount: (
        Annotated[AmountField, Field(description="what to capture (default: the whole hold)")]
        | None
    ) = None


class HoldOut(ResponseBody):
    id: UUID
    status: str
    amount: int
    currency: str
    captured: int | None
    released: int
    reference: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class HoldPage(ResponseBody):
    items: list[HoldOut]
    next_cursor: str | None
