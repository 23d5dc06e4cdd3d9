from __future__ import annotations

from datetime import datetime

from pydantic import StrictStr

from wallet_api.schemas.base import RequestBody, ResponseBody


class CreateWalletIn(RequestBody):
    user_id: StrictStr


class WalletOut(ResponseBody):
    user_id: str
    created_at: datetime
