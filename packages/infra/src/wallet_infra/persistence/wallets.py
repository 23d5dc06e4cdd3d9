"""`Wallets` on PostgreSQL: one row per user_id."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import ValidationError, WalletAlreadyExists
from wallet_domain.model.wallet import Wallet
from wallet_domain.ports.wallets import Wallets

from wallet_infra.persistence.driver import DriverStatement, fetchrow
from wallet_infra.persistence.errors import translated
from wallet_infra.persistence.tables import WALLETS_PKEY, WALLETS_USER_ID_FORMAT, wallets

# ON CONFLICT instead of catching the unique violation on wallets_pkey: a duplicate does not
# abort the caller's transaction, and a concurrent insert of the same user waits for the
# other transaction, then reports the conflict once it has committed.
# text(): SQLAlchemy 2.0 never caches a postgresql.insert() (its inherit_cache is False),
# so the Core form would be recompiled on every call of this hot-path statement.
_ADD: Final = text(
    "INSERT INTO wallets (user_id, created_at) VALUES (:user_id, :created_at)"  # noqa: S608 - constants only
    f" ON CONFLICT ON CONSTRAINT {WALLETS_PKEY} DO NOTHING RETURNING user_id"
)
GET_WALLET: Final = DriverStatement(
    select(wallets.c.user_id, wallets.c.created_at).where(wallets.c.user_id == bindparam("uid"))
)


class SqlaWallets(Wallets):
    """Wallets in the request's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def add(self, wallet: Wallet) -> None:
        with translated(
            constraints={
                WALLETS_USER_ID_FORMAT: lambda: ValidationError(
                    "user_id must be 1-64 characters of [A-Za-z0-9_-]", field="user_id"
                )
            },
        ):
            result = await self._session.execute(
                _ADD, {"user_id": wallet.user_id, "created_at": wallet.created_at}
            )
        if result.scalar() is None:
            raise WalletAlreadyExists(user_id=wallet.user_id)

    async def get(self, user_id: str) -> Wallet | None:
        return wallet_from_row(
            await fetchrow(self._session, "wallets.get", GET_WALLET, {"uid": user_id})
        )


def wallet_from_row(row: Any) -> Wallet | None:
    """The wallet a GET_WALLET row describes (None: no such wallet)."""
    if row is None:
        return None
    return Wallet(user_id=row["user_id"], created_at=row["created_at"])
