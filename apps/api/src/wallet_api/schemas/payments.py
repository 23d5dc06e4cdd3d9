from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, StrictStr
from wallet_domain.model.external_reference import MAX_EXTERNAL_REFERENCE

from wallet_api.schemas.base import RequestBody
from wallet_api.schemas.constraints import AmountField, CurrencyField, printable_rule


class PaymentIn(RequestBody):
    provider_id: UUID
    external_reference: Annotated[
        StrictStr, Field(json_schema_extra=printable_rule(MAX_EXTERNAL_REFERENCE))
    ]
    amount: AmountField
    currency: CurrencyField
