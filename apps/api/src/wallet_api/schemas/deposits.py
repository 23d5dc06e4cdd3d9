from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictStr
from wallet_domain.model.external_reference import MAX_DEPOSIT_REFERENCE

from wallet_api.schemas.base import RequestBody
from wallet_api.schemas.constraints import AmountField, CurrencyField, printable_rule


class DepositIn(RequestBody):
    amount: AmountField
    currency: CurrencyField
    reference: (
        Annotated[StrictStr, Field(json_schema_extra=printable_rule(MAX_DEPOSIT_REFERENCE))] | None
    ) = None
    two_phase: Annotated[
        StrictBool,
        Field(description="true: a PENDING deposit (pending credit) to complete or revert later"),
    ] = False
