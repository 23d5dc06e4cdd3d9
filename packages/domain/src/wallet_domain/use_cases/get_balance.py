"""Read a wallet's balances."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import WalletNotFound
from wallet_domain.model.wallet import Balance, validate_user_id
from wallet_domain.model.wallet_version import VersionedBalances
from wallet_domain.money import ensure_supported
from wallet_domain.ports.wallet_balances import BalanceReads
from wallet_domain.ports.wallets import WalletLookup


@dataclass(frozen=True, slots=True, kw_only=True)
class GetBalanceRequest:
    user_id: str
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GetBalance:
    """Every currency the wallet holds, or just `currency`. `available` can be spent;
    `pending` is held by PENDING payments. A currency never held reads as 0/0. The
    wallet's version comes with them (of the whole wallet, also when one currency is asked
    for)."""

    wallets: WalletLookup
    balances: BalanceReads
    currencies: frozenset[str]

    async def execute(self, request: GetBalanceRequest) -> VersionedBalances:
        user_id = validate_user_id(request.user_id)
        currency = request.currency
        if currency is not None:
            ensure_supported(currency, self.currencies)
        read = await self.balances.read(user_id, currency)
        # Balances belong to a wallet, so one read answers for a wallet that holds any;
        # only an empty answer needs a second to tell "holds nothing" from "no wallet".
        if not read.balances and await self.wallets.get(user_id) is None:
            raise WalletNotFound(user_id=user_id)
        if currency is not None and not read.balances:
            never_held = Balance(currency=currency, available=0, pending=0)
            return VersionedBalances(version=read.version, balances=[never_held])
        return read
