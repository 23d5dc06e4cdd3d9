"""Read a wallet with its balances."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import WalletNotFound
from wallet_domain.model.wallet import Balance, Wallet, validate_user_id
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallets import Wallets


@dataclass(frozen=True, slots=True, kw_only=True)
class GetWalletRequest:
    user_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletView:
    wallet: Wallet
    balances: list[Balance]
    version: int  # the wallet's version as of `balances`


@dataclass(frozen=True, slots=True, kw_only=True)
class GetWallet:
    """The wallet and, per currency it holds, what is available, held (pending debit),
    on its way in (pending credit) and owned in total (available + pending debit), and the
    wallet's version those balances are at (what a conditional write compares with)."""

    wallets: Wallets
    balances: WalletBalances

    async def execute(self, request: GetWalletRequest) -> WalletView:
        user_id = validate_user_id(request.user_id)
        wallet = await self.wallets.get(user_id)
        if wallet is None:
            raise WalletNotFound(user_id=user_id)
        read = await self.balances.read(user_id)
        return WalletView(wallet=wallet, balances=read.balances, version=read.version)
