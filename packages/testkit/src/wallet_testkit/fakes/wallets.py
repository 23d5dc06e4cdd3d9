"""Fakes of the `Wallets` and `WalletBalances` ports."""

from __future__ import annotations

from wallet_domain.errors import (
    ValidationError,
    WalletAlreadyExists,
)
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.model.wallet_version import VersionedBalances
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.wallet_balances import WalletBalances
from wallet_domain.ports.wallets import Wallets

from wallet_testkit.fakes.store import IntegrityViolation, announced_total, held_total, owed_total
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager
from wallet_testkit.fakes.wallet_versions import wallet_version


class FakeWallets(Wallets):
    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def add(self, wallet: Wallet) -> None:
        wallets = self._tx.tables.wallets
        if wallet.user_id in wallets:
            raise WalletAlreadyExists(user_id=wallet.user_id)
        wallets[wallet.user_id] = wallet

    async def get(self, user_id: str) -> Wallet | None:
        return self._tx.tables.wallets.get(user_id)


class FakeWalletBalances(WalletBalances):
    """`pending` is computed from the PENDING payments in the ledger. Payments debit
    through FakePaymentBook."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.credits: list[tuple[str, Money]] = []

    async def credit(self, user_id: str, money: Money) -> int:
        tables = self._tx.tables
        if user_id not in tables.wallets:
            raise IntegrityViolation(f"no wallet {user_id!r} (foreign key)")
        new = tables.balances.get((user_id, money.currency), 0) + money.amount
        # Like the balance row's constraint: balance + what is held + what pending deposits
        # bring is bounded, so held and announced money always fits when it arrives.
        if new + owed_total(tables, user_id, money.currency) > MAX_AMOUNT:
            raise ValidationError("balance would overflow", field="amount")
        tables.balances[(user_id, money.currency)] = new
        self.credits.append((user_id, money))
        return new

    async def debit_if_covered(self, user_id: str, money: Money) -> bool:
        tables = self._tx.tables
        current = tables.balances.get((user_id, money.currency))
        if current is None or current < money.amount:
            return False
        tables.balances[(user_id, money.currency)] = current - money.amount
        return True

    async def read(self, user_id: str, currency: str | None = None) -> VersionedBalances:
        tables = self._tx.tables
        balances = [
            Balance(
                currency=c,
                available=amount,
                pending=held_total(tables, user_id, c),
                pending_credit=announced_total(tables, user_id, c),
            )
            for (u, c), amount in sorted(tables.balances.items())
            if u == user_id and (currency is None or c == currency)
        ]
        return VersionedBalances(version=wallet_version(tables, user_id), balances=balances)
