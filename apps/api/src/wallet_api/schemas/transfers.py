"""A transfer request, and a transfer as shown to clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field, StrictStr
from wallet_domain.model.transfer import MAX_TRANSFER_REFERENCE

from wallet_api.schemas.base import RequestBody, ResponseBody
from wallet_api.schemas.constraints import (
    AmountField,
    CurrencyField,
    UserIdField,
    printable_rule,
)


class TransferIn(RequestBody):
    from_user_id: UserIdField
    to_user_id: UserIdField
    amount: AmountField
    currency: CurrencyField
    reference: (
        Annotated[StrictStr, Field(json_schema_extra=printable_rule(MAX_TRANSFER_REFERENCE))] | None
    ) = None


class TransferOut(ResponseBody):
    id: UUID
    status: str
    from_user_id: str
    to_user_id: str
    amount: int
    currency: str
    reference: str | None
    created_at: datetime
