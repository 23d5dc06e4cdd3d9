"""`WalletBalances` on PostgreSQL: one row per (user_id, currency), each change one statement.

A credit is an upsert that locks the row until the caller's transaction ends, so
concurrent changes to one balance serialise on it. Payments debit through `PaymentBook`,
which also keeps `pending_debit` (what PENDING payments hold) on the row; the row's
constraint bounds balance + pending_debit, so a credit that would leave no room for held
money to come back is refused here, before it changes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Select, Update, and_, bindparam, func, literal_column, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import ValidationError, WalletNotFound
from wallet_domain.model.wallet import Balance
from wallet_domain.model.wallet_version import VersionedBalances
from wallet_domain.money import Money
from wallet_domain.ports.wallet_balances import WalletBalances

from wallet_infra.persistence.driver import DriverStatement, fetch
from wallet_infra.persistence.errors import NUMERIC_VALUE_OUT_OF_RANGE, translated
from wallet_infra.persistence.tables import (
    WALLET_BALANCES_CURRENCY_FORMAT,
    WALLET_BALANCES_PKEY,
    WALLET_BALANCES_TOTAL_WITHIN_LIMIT,
    WALLET_BALANCES_USER_ID_FKEY,
    wallet_balances,
)

_b = wallet_balances

# text(): SQLAlchemy 2.0 never caches a postgresql.insert() (its inherit_cache is False),
# so the Core form would be recompiled on every call of this hot-path statement.
# What makes an INSERT into wallet_balances a credit (shared with the refund in
# PaymentBook.settle): a new row starts at the amount, an existing one grows by it.
CREDIT_ON_CONFLICT: Final = (
    f" ON CONFLICT ON CONSTRAINT {WALLET_BALANCES_PKEY} DO UPDATE"
    " SET balance = wallet_balances.balance + excluded.balance, updated_at = now()"
)
_CREDIT: Final = text(
    "INSERT INTO wallet_balances (user_id, currency, balance) VALUES (:uid, :cur, :amt)"  # noqa: S608 - constants only
    f"{CREDIT_ON_CONFLICT} RETURNING balance"
)

# Reconciliation's re-debit: only when the balance covers it, so it never goes negative
# (the row's CHECK would refuse it anyway); no row updated means "not covered".
_DEBIT_IF_COVERED: Final[Update] = (
    update(_b)
    .where(
        _b.c.user_id == bindparam("uid"),
        _b.c.currency == bindparam("cur"),
        _b.c.balance >= bindparam("amt"),
    )
    .values(balance=_b.c.balance - bindparam("amt"), updated_at=func.now())
    .returning(_b.c.balance)
)

# The wallet's version is the sum of its rows' versions (each grows by one with every
# change of its row, a new row starts at 1), read in the same statement as the balances
# so an ETag never describes other balances than the body it comes with. One row even
# for a wallet without balances (or without the currency asked for): the version alone.
_every_row = _b.alias("every_row")
_version = (
    select(func.coalesce(func.sum(_every_row.c.version), literal_column("0")).label("version"))
    .where(_every_row.c.user_id == bindparam("uid"))
    .subquery("wallet")
)


def _read(*shown: Any) -> Select[Any]:
    on = and_(_b.c.user_id == bindparam("uid"), *shown)
    return (
        select(
            _version.c.version,
            _b.c.currency,
            _b.c.balance,
            _b.c.pending_debit,
            _b.c.pending_credit,
        )
        .select_from(_version.outerjoin(_b, on))
        .order_by(_b.c.currency)
    )


_READ_ALL: Final = DriverStatement(_read())
_READ_ONE: Final = DriverStatement(_read(_b.c.currency == bindparam("cur")))


def balance_over_limit() -> ValidationError:
    """A credit that would take a wallet's total past the largest amount (the database
    refuses it: `wallet_balances_total_within_limit`, or bigint overflow)."""
    # Also when the balance alone would fit: money PENDING payments hold counts as the
    # wallet's until they settle (it may come back).
    return ValidationError("the balance would exceed the largest amount", field="amount")


class SqlaWalletBalances(WalletBalances):
    """Balances in the request's session; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def credit(self, user_id: str, money: Money) -> int:
        params = {"uid": user_id, "cur": money.currency, "amt": money.amount}
        with translated(
            constraints={
                WALLET_BALANCES_USER_ID_FKEY: lambda: WalletNotFound(user_id=user_id),
                WALLET_BALANCES_CURRENCY_FORMAT: lambda: ValidationError(
                    "currency is invalid", field="currency"
                ),
                WALLET_BALANCES_TOTAL_WITHIN_LIMIT: balance_over_limit,
            },
            sqlstates={NUMERIC_VALUE_OUT_OF_RANGE: balance_over_limit},
        ):
            balance: int = (await self._session.execute(_CREDIT, params)).scalar_one()
        return balance

    async def debit_if_covered(self, user_id: str, money: Money) -> bool:
        params = {"uid": user_id, "cur": money.currency, "amt": money.amount}
        return (await self._session.execute(_DEBIT_IF_COVERED, params)).first() is not None

    async def read(self, user_id: str, currency: str | None = None) -> VersionedBalances:
        statement, params = balance_read(user_id, currency)
        return versioned_balances(
            await fetch(self._session, "wallet_balances.read", statement, params)
        )


def balance_read(user_id: str, currency: str | None) -> tuple[DriverStatement, dict[str, Any]]:
    """The statement reading `user_id`'s balances (or just `currency`'s), and its values."""
    if currency is None:
        return _READ_ALL, {"uid": user_id}
    return _READ_ONE, {"uid": user_id, "cur": currency}


def versioned_balances(rows: Sequence[Any]) -> VersionedBalances:
    """What `balance_read`'s rows say: always one row, with the version, even for none."""
    return VersionedBalances(
        version=int(rows[0]["version"]),
        balances=[
            Balance(
                currency=row["currency"],
                available=row["balance"],
                pending=row["pending_debit"],
                pending_credit=row["pending_credit"],
            )
            for row in rows
            if row["currency"] is not None
        ],
    )
