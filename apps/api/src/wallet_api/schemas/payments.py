from __future__ import annotations

from uuid import UUID

from pydantic import StrictInt, StrictStr

from wallet_api.schemas.base import RequestBody


class PaymentIn(RequestBody):
    provider_id: UUID
    external_reference: StrictStr
    amount: StrictInt
    currency: StrictStr
