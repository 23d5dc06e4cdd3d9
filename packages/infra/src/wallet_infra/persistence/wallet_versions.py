"""`WalletVersions` on PostgreSQL: two statements in the caller's transaction.

First the wallet's row is locked (FOR NO KEY UPDATE: foreign-key checks of inserts that
reference it never wait on it), which queues conditional writes on one wallet behind
each other. Only then, in a second statement whose snapshot is taken after that lock was
granted, are the wallet's balance rows locked and their versions summed: the sum sees
every change a conditional write before it committed, balance rows it created included
(one statement would sum over a snapshot taken before it waited). A change that needs no
condition does not queue on the wallet's row, but the balance rows this holds locked
until commit cannot change under the write that follows; one that creates a balance row
meanwhile is not held: the write checks it did not spend one (`WalletPrecondition.debited`).

Rows are locked ordered by (user_id, currency), the order a transfer locks its two rows
in, so a conditional transfer and any other transfer wait for each other, never deadlock.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.wallet_version import PinnedWallet
from wallet_domain.ports.wallet_versions import WalletVersions

from wallet_infra.persistence.errors import SAME_KEY_DEADLOCK, translated

_LOCK_WALLET: Final = text("SELECT 1 FROM wallets WHERE user_id = :uid FOR NO KEY UPDATE")
_LOCK_BALANCES: Final = text(
    "WITH locked AS ("
    " SELECT user_id, currency, version FROM wallet_balances"
    " WHERE user_id = :uid"
    " OR (user_id = CAST(:receiver AS text) AND currency = CAST(:currency AS char(3)))"
    " ORDER BY user_id, currency FOR UPDATE"
    ") SELECT COALESCE(sum(version) FILTER (WHERE user_id = :uid), 0) AS version,"
    " COALESCE(array_agg(currency) FILTER (WHERE user_id = :uid), '{}') AS currencies"
    " FROM locked"
)


class SqlaWalletVersions(WalletVersions):
    """Wallet versions in the request's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def lock(
        self, user_id: str, *, receiver: tuple[str, str] | None = None
    ) -> PinnedWallet | None:
        other, currency = receiver if receiver is not None else (None, None)
        params = {"uid": user_id, "receiver": other, "currency": currency}
        # A write that claimed its key first (a conditional deposit or settlement)
        # waits here on a wallet whose holder waits on that key: the same key sent on
        # two writes at once. PostgreSQL breaks the tie; this one is "in flight".
        with translated(sqlstates=SAME_KEY_DEADLOCK):
            found = (await self._session.execute(_LOCK_WALLET, {"uid": user_id})).first()
            if found is None:
                return None
            row = (await self._session.execute(_LOCK_BALANCES, params)).one()
        currencies = frozenset(c.strip() for c in row.currencies)  # char(3)
        return PinnedWallet(user_id=user_id, version=int(row.version), currencies=currencies)
