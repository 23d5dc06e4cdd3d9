from __future__ import annotations

from pydantic import StrictInt, StrictStr

from wallet_api.schemas.base import RequestBody


class DepositIn(RequestBody):
    amount: StrictInt
    currency: StrictStr
    reference: StrictStr | None = None
