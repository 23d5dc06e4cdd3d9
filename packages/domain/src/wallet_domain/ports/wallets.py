from __future__ import annotations

from typing import Protocol

from wallet_domain.model.wallet import Wallet


class WalletLookup(Protocol):
    """Finding a wallet (all a read needs to tell "no such wallet" from "nothing held")."""

    async def get(self, user_id: str) -> Wallet | None: ...


class Wallets(WalletLookup, Protocol):
    """The set of wallets, one per user_id."""

    async def add(self, wallet: Wallet) -> None:
        """Insert; raises WalletAlreadyExists if the user already has one."""
        ...
