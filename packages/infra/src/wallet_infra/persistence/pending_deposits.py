"""`PendingDeposits` on PostgreSQL: `pending_credit` on the balance row, PENDING DEPOSIT rows.

Announcing grows `pending_credit` (the row's constraint refuses what would not fit once
completed); settling moves the ledger row out of PENDING (the ledger's trigger allows a
deposit that once), moves the amount into the balance if completed, and writes the event,
in one statement guarded by the status move.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import WalletNotFound
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus
from wallet_domain.money import Money
from wallet_domain.ports.pending_deposits import PendingDeposits

from wallet_infra.persistence.driver import fetchrow, json_text
from wallet_infra.persistence.errors import (
    NUMERIC_VALUE_OUT_OF_RANGE,
    SAME_KEY_DEADLOCK,
    translated,
)
from wallet_infra.persistence.ledger_queries import entry_from_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.statements.pending_deposits import SETTLE_DEPOSIT
from wallet_infra.persistence.tables import (
    WALLET_BALANCES_PKEY,
    WALLET_BALANCES_TOTAL_WITHIN_LIMIT,
    WALLET_BALANCES_USER_ID_FKEY,
    transactions,
)
from wallet_infra.persistence.wallet_balances import balance_over_limit

_ANNOUNCE: Final = text(
    "INSERT INTO wallet_balances (user_id, currency, balance, pending_credit)"  # noqa: S608 - constants only
    " VALUES (:uid, :cur, 0, :amt)"
    f" ON CONFLICT ON CONSTRAINT {WALLET_BALANCES_PKEY} DO UPDATE"
    " SET pending_credit = wallet_balances.pending_credit + excluded.pending_credit,"
    " updated_at = now()"
)
_t = transactions
_LOCK: Final = (
    select(*_t.c)
    .where(_t.c.id == bindparam("tid"), _t.c.user_id == bindparam("uid"))
    .with_for_update()
)


class SqlaPendingDeposits(PendingDeposits):
    """Pending deposits in the request's session; never commits."""

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
        self._traceparent = traceparent_provider

    async def announce(self, user_id: str, money: Money) -> None:
        params = {"uid": user_id, "cur": money.currency, "amt": money.amount}
        with translated(
            constraints={
                WALLET_BALANCES_USER_ID_FKEY: lambda: WalletNotFound(user_id=user_id),
                WALLET_BALANCES_TOTAL_WITHIN_LIMIT: balance_over_limit,
            },
            sqlstates={NUMERIC_VALUE_OUT_OF_RANGE: balance_over_limit},
        ):
            await self._session.execute(_ANNOUNCE, params)

    async def lock(self, user_id: str, deposit_id: UUID) -> LedgerEntry | None:
        row = (await self._session.execute(_LOCK, {"tid": deposit_id, "uid": user_id})).first()
        return None if row is None else entry_from_row(row._mapping)

    async def settle(self, deposit: LedgerEntry, event: DomainEvent) -> None:
        if deposit.status is TransactionStatus.PENDING:
            raise ValueError("a settled deposit leaves PENDING")
        await self._session.connection()
        traceparent = None if self._traceparent is None else self._traceparent()
        row: dict[str, Any] = event_row(event, traceparent) | {"payload": json_text(event.payload)}
        params = {
            "deposit_id": deposit.id,
            "status": deposit.status.value,
            "at": deposit.updated_at,
            **{f"e0_{name}": value for name, value in row.items()},
        }
        # As a hold's settle: a same-key conditional write may hold the balance row while
        # it waits on the key this keyed settlement holds; that one is "in flight".
        result = await fetchrow(
            self._session,
            "pending_deposits.settle",
            SETTLE_DEPOSIT,
            params,
            sqlstates=SAME_KEY_DEADLOCK,
        )
        if not result["moved"]:
            raise RuntimeError(f"deposit {deposit.id} was not PENDING under its lock")
