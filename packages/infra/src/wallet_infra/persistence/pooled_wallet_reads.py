"""A wallet and its balances read straight on the engine's pool: no session at all.

A balance read is one statement that is its own transaction (two for a wallet that
holds nothing), which is what the session-bound adapters do for it too when no
transaction is open; holding no session, this one can be built once per process
(APP scope), and a balance request then builds nothing per request: no session, no
adapters, no use case.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.wallet import Wallet
from wallet_domain.model.wallet_version import VersionedBalances
from wallet_domain.ports.wallet_balances import BalanceReads
from wallet_domain.ports.wallets import WalletLookup

from wallet_infra.persistence.driver import fetch_pooled
from wallet_infra.persistence.wallet_balances import balance_read, versioned_balances
from wallet_infra.persistence.wallets import GET_WALLET, wallet_from_row


class PooledWalletReads(WalletLookup, BalanceReads):
    """Each read its own statement on a connection of `engine`'s pool."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, user_id: str) -> Wallet | None:
        rows = await fetch_pooled(self._engine, "wallets.get", GET_WALLET, {"uid": user_id})
        return wallet_from_row(rows[0] if rows else None)

    async def read(self, user_id: str, currency: str | None = None) -> VersionedBalances:
        statement, params = balance_read(user_id, currency)
        rows = await fetch_pooled(self._engine, "wallet_balances.read", statement, params)
        return versioned_balances(rows)
