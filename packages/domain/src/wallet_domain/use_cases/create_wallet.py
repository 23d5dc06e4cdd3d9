"""Create a wallet for a user."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.wallet import Wallet, validate_user_id
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.wallets import Wallets
from wallet_domain.unit_of_work import rolling_back


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateWalletRequest:
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateWallet:
    """One wallet per user_id; a second one is WALLET_ALREADY_EXISTS. A new wallet holds
    nothing: every currency reads as a balance of 0 until money moves."""

    wallets: Wallets
    tx: TransactionManager
    clock: Clock

    async def execute(self, request: CreateWalletRequest) -> Wallet:
        wallet = Wallet(user_id=validate_user_id(request.user_id), created_at=self.clock.now())
        async with rolling_back(self.tx):
            await self.wallets.add(wallet)
            await self.tx.commit()
        return wallet
