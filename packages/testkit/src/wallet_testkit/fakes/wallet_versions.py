"""Fake of the `WalletVersions` port, and the version every fake reads a wallet at."""

from __future__ import annotations

from wallet_domain.model.wallet_version import PinnedWallet
from wallet_domain.ports.wallet_versions import WalletVersions

from wallet_testkit.fakes.store import Tables
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


def wallet_version(tables: Tables, user_id: str) -> int:
    """A version that changes with every move of the wallet's money: its ledger rows are
    append-only and each status moves forward only, so the set of (row, status) pairs,
    holds included, never repeats."""
    steps = sorted(
        [(e.id, e.status.value) for e in tables.ledger.values() if e.user_id == user_id]
        + [(h.id, h.status.value) for h in tables.holds.values() if h.user_id == user_id]
    )
    balances = sorted((k, v) for k, v in tables.balances.items() if k[0] == user_id)
    return hash((tuple(steps), tuple(balances))) & 0x7FFF_FFFF


class FakeWalletVersions(WalletVersions):
    """The wallet's version in the unit of work's view; the in-memory database serialises
    whole units of work, so there is nothing to lock."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx
        self.locked: list[str] = []

    async def lock(
        self, user_id: str, *, receiver: tuple[str, str] | None = None
    ) -> PinnedWallet | None:
        tables = self._tx.tables
        if user_id not in tables.wallets:
            return None
        self.locked.append(user_id)
        currencies = frozenset(c for (uid, c) in tables.balances if uid == user_id)
        return PinnedWallet(
            user_id=user_id, version=wallet_version(tables, user_id), currencies=currencies
        )
