"""`PaymentBook` on PostgreSQL: each of a payment's two writes is ONE statement
(`statements.payment_book`), sent straight to asyncpg (`driver.fetchrow`).

Without an open transaction each write is its own; inside the recovery worker's (which
holds its payment's row lock) each joins it. Built on the engine instead of a session,
every write is its own and one book serves the whole process (the payment route's
unconditional `Pay`, see the API's ioc).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.ports.payment_book import Opening, OpenOutcome, PaymentBook

from wallet_infra.persistence.driver import StatementTarget, fetchrow, json_text
from wallet_infra.persistence.errors import SAME_KEY_DEADLOCK
from wallet_infra.persistence.idempotency_store import record_of
from wallet_infra.persistence.ledger import append_errors
from wallet_infra.persistence.ledger_queries import entry_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.statements.payment_book import (
    OPEN,
    SETTLE_APPROVED,
    SETTLE_REFUNDED,
)

# A concurrent holder can commit after the statement's snapshot was taken: the insert then
# sees the conflict but the read cannot see the row. Nothing was written: try again.
_OPEN_ATTEMPTS: Final = 3


def _prefixed(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": value for name, value in row.items()}


class AsyncpgPaymentBook(PaymentBook):
    """A payment's writes on asyncpg, joining the session's transaction if `db` is a session
    with one open; never commits.

    `traceparent_provider` stamps each event with the current span, like SqlaOutboxWriter.
    """

    def __init__(
        self, *, db: StatementTarget, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._db = db
        self._traceparent = traceparent_provider

    def _events(self, events: tuple[DomainEvent, ...]) -> dict[str, Any]:
        traceparent = None if self._traceparent is None else self._traceparent()
        params: dict[str, Any] = {}
        for i, event in enumerate(events):
            row = event_row(event, traceparent) | {"payload": json_text(event.payload)}
            params |= _prefixed(row, f"e{i}_")
        return params

    async def open(
        self,
        payment: LedgerEntry,
        claim: IdempotencyRecord,
        created: DomainEvent,
        refusal: StoredResponse,
    ) -> Opening:
        params = {
            "user_id": claim.user_id,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "payment_id": claim.payment_id,
            "created_at": claim.created_at,
            "currency": payment.money.currency,
            "amount": payment.money.amount,
            "refusal_status": refusal.status_code,
            "refusal_body": refusal.body,
            **_prefixed(entry_row(payment), "p_"),
            **self._events((created,)),
        }
        # Two requests that reuse one key across a deposit and a payment take the key and
        # the balance in opposite orders; PostgreSQL breaks the tie: one is "in flight".
        sqlstates = SAME_KEY_DEADLOCK
        for _ in range(_OPEN_ATTEMPTS):
            row = await fetchrow(
                self._db,
                "payment_book.open",
                OPEN,
                params,
                constraints=append_errors(payment),
                sqlstates=sqlstates,
            )
            if row["claimed"] == IdempotencyState.IN_PROGRESS.value:
                if not row["debited"]:
                    raise RuntimeError("payment claimed but not debited")  # the CTE's contract
                return Opening(OpenOutcome.DEBITED)
            if row["claimed"] is not None:
                return Opening(OpenOutcome.REFUSED)
            if row["user_id"] is not None:
                return Opening(OpenOutcome.HELD, holder=record_of(row))
            if not row["wallet_exists"]:
                return Opening(OpenOutcome.NO_WALLET)
        raise RuntimeError("idempotency key neither claimable nor readable")

    async def settle(self, settlement: Settlement) -> bool:
        payment, refund = settlement.payment, settlement.refund
        params: dict[str, Any] = {
            "payment_id": payment.id,
            "status": payment.status.value,
            "at": payment.updated_at,
            "reply_status": settlement.reply.status_code,
            "reply_body": settlement.reply.body,
            **self._events(settlement.events),
        }
        statement, errors = SETTLE_APPROVED, {}
        if refund is not None:
            statement, errors = SETTLE_REFUNDED, append_errors(refund)
            params |= _prefixed(entry_row(refund), "r_")
        row = await fetchrow(
            self._db,
            "payment_book.settle",
            statement,
            params,
            constraints=errors,
        )
        settled: bool = row["settled"]
        return settled
