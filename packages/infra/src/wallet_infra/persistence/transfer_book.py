"""`TransferBook` on PostgreSQL: a transfer is ONE statement.

Data-modifying CTEs chain the steps like `PaymentBook`'s open: both balance rows are
locked first, in one order (by user_id) whatever the direction, so A->B and B->A wait
for each other instead of deadlocking; the sender's key is then claimed already answered
(with the reply, or with the refusal when the balance does not cover the amount); only a
covered claim debits, credits, and writes the transfer, its two ledger rows and its event.
The statement goes straight to the driver (`persistence.driver`), so it is its own
transaction: all-or-nothing, one round trip, and safe to run again when PostgreSQL
breaks a deadlock by cancelling it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import IdempotencyInProgress, ValidationError
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.model.transfer import Transfer, TransferLegs
from wallet_domain.money import Money
from wallet_domain.ports.transfer_book import Move, MoveOutcome, TransferBook

from wallet_infra.persistence.driver import fetchrow, json_text
from wallet_infra.persistence.errors import (
    DEADLOCK_DETECTED,
    NUMERIC_VALUE_OUT_OF_RANGE,
    ErrorFactory,
)
from wallet_infra.persistence.idempotency_store import record_of
from wallet_infra.persistence.ledger_queries import entry_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.statements.transfer_book import MOVE
from wallet_infra.persistence.tables import (
    WALLET_BALANCES_TOTAL_WITHIN_LIMIT,
    transfers,
)

_t = transfers
GET: Final = select(*_t.c).where(_t.c.id == bindparam("tid"))

# A concurrent holder of the key can commit after the statement's snapshot was taken (the
# insert sees the conflict, the read cannot see the row), and a deadlock cancels the
# statement; either way nothing was written: run it again.
ATTEMPTS: Final = 5


class _Deadlocked(Exception):
    """PostgreSQL cancelled the statement to break a deadlock; nothing was written."""


def _over_limit() -> ValidationError:
    return ValidationError("the receiver's balance would exceed the largest amount", field="amount")


def _prefixed(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": value for name, value in row.items()}


class SqlaTransferBook(TransferBook):
    """A transfer's write on its own connection from the pool; never commits the session.

    `traceparent_provider` stamps the event with the current span, like SqlaOutboxWriter;
    `attempts` bounds the runs of the statement (tests set 1 to see every deadlock).
    """

    def __init__(
        self,
        *,
        session: AsyncSession,
        traceparent_provider: TraceparentProvider | None = None,
        attempts: int = ATTEMPTS,
    ) -> None:
        self._session = session
        self._traceparent = traceparent_provider
        self._attempts = attempts

    async def move(
        self,
        transfer: Transfer,
        legs: TransferLegs,
        claim: IdempotencyRecord,
        completed: DomainEvent,
        refusal: StoredResponse,
    ) -> Move:
        if claim.response is None:
            raise ValueError("a transfer's claim carries its reply")
        traceparent = None if self._traceparent is None else self._traceparent()
        params = {
            "from_user_id": transfer.from_user_id,
            "to_user_id": transfer.to_user_id,
            "currency": transfer.money.currency,
            "amount": transfer.money.amount,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "created_at": claim.created_at,
            "reply_status": claim.response.status_code,
            "reply_body": claim.response.body,
            "refusal_status": refusal.status_code,
            "refusal_body": refusal.body,
            "transfer_id": transfer.id,
            "reference": transfer.reference,
            "status": transfer.status.value,
            **_prefixed(entry_row(legs.debit), "d_"),
            **_prefixed(entry_row(legs.credit), "c_"),
            **_prefixed(
                event_row(completed, traceparent) | {"payload": json_text(completed.payload)},
                "e0_",
            ),
        }
        sqlstates: dict[str, ErrorFactory] = {
            DEADLOCK_DETECTED: _Deadlocked,
            NUMERIC_VALUE_OUT_OF_RANGE: _over_limit,
        }
        constraints: dict[str, ErrorFactory] = {WALLET_BALANCES_TOTAL_WITHIN_LIMIT: _over_limit}
        for _ in range(self._attempts):
            try:
                row = await fetchrow(
                    self._session,
                    "transfer_book.move",
                    MOVE,
                    params,
                    constraints=constraints,
                    sqlstates=sqlstates,
                )
            except _Deadlocked:
                if self._session.in_transaction():
                    raise IdempotencyInProgress() from None  # the caller's transaction is lost
                continue
            if row["claimed"]:
                if not row["covered"]:
                    return Move(MoveOutcome.REFUSED)
                if not row["moved"]:
                    raise RuntimeError("transfer claimed but not written")  # the CTE's contract
                return Move(MoveOutcome.MOVED)
            if row["user_id"] is not None:
                return Move(MoveOutcome.HELD, holder=record_of(row))
            if not row["sender"]:
                return Move(MoveOutcome.NO_SENDER)
            if not row["receiver"]:
                return Move(MoveOutcome.NO_RECEIVER)
        # Still contended after every attempt: nothing was written and the key is free.
        raise IdempotencyInProgress("the wallets are busy; retry with the same Idempotency-Key")

    async def get(self, transfer_id: UUID) -> Transfer | None:
        row = (await self._session.execute(GET, {"tid": transfer_id})).first()
        if row is None:
            return None
        return Transfer(
            id=row.id,
            from_user_id=row.from_user_id,
            to_user_id=row.to_user_id,
            money=Money(row.amount, row.currency),
            reference=row.reference,
            created_at=row.created_at,
            status=TransactionStatus(row.status),
        )
