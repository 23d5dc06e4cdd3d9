from __future__ import annotations

from typing import Protocol

from wallet_domain.model.wallet_version import VersionedBalances
from wallet_domain.money import Money


class BalanceReads(Protocol):
    """Reading a wallet's balances (all a balance read needs: an adapter of just this can
    run it without the request's transaction)."""

    async def read(self, user_id: str, currency: str | None = None) -> VersionedBalances:
        """Available, pending debit and pending credit per currency held (or just
        `currency`), with the wallet's version, all as of one moment."""
        ...


class WalletBalances(BalanceReads, Protocol):
    """Per-currency balances. Changes lock the (user_id, currency) row until commit."""

    async def credit(self, user_id: str, money: Money) -> int:
        """Add to the balance (creating it at 0 if new); returns the new balance.
        Raises ValidationError if the balance plus what PENDING payments hold would exceed
        MAX_AMOUNT: money held for a payment must always fit when it comes back."""
        ...

    async def debit_if_covered(self, user_id: str, money: Money) -> bool:
        """Take `money` out of the balance if it covers it (the row stays locked until
        commit); False, with nothing changed, if it does not or there is no such balance."""
        ...
