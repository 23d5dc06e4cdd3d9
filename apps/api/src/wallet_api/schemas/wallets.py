from __future__ import annotations

from datetime import datetime

from wallet_api.schemas.balances import WalletBalanceOut
from wallet_api.schemas.base import RequestBody, ResponseBody
from wallet_api.schemas.constraints import UserIdField


class CreateWalletIn(RequestBody):
    user_id: UserIdField


class WalletOut(ResponseBody):
    user_id: str
    created_at: datetime


class WalletWithBalancesOut(ResponseBody):
    user_id: str
    created_at: datetime
    balances: list[WalletBalanceOut]
