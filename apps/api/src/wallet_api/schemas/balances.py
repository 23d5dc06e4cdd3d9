from __future__ import annotations

from wallet_api.schemas.base import ResponseBody


class BalanceOut(ResponseBody):
    currency: str
    available: int
    pending: int
    pending_debit: int
    pending_credit: int
    total: int


class WalletBalanceOut(ResponseBody):
    currency: str
    available: int
    pending_debit: int
    pending_credit: int
    total: int


class BalancesOut(ResponseBody):
    user_id: str
    balances: list[BalanceOut]
