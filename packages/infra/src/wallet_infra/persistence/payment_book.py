"""`PaymentBook` on PostgreSQL: each of a payment's two writes is ONE statement.

Data-modifying CTEs chain the steps, each guarded by the previous one's RETURNING rows
(the debit only if the key was claimed in progress, the ledger row only if debited, ...),
so a write is all-or-nothing within the statement and costs one round trip; both go
straight to the driver (`driver_statement`), so without an open transaction each is its
own, and inside the recovery worker's (which holds its payment's row lock) each joins it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.errors import IdempotencyInProgress
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.ports.payment_book import Opening, OpenOutcome, PaymentBook

from wallet_infra.persistence.driver_statement import (
    PositionalStatement,
    fetchrow,
    json_text,
)
from wallet_infra.persistence.errors import (
    DEADLOCK_DETECTED,
)
from wallet_infra.persistence.idempotency_store import record_of
from wallet_infra.persistence.insert_select import insert_entry, insert_events
from wallet_infra.persistence.ledger import append_errors
from wallet_infra.persistence.ledger_queries import entry_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.tables import IDEMPOTENCY_KEYS_PKEY

# A key this statement's snapshot already holds is a replay: nothing is locked or claimed,
# the holder is read back. Otherwise the balance row is locked first (FOR UPDATE re-reads
# the latest committed version), so "covered" is decided on the balance the debit will
# change. The key is then claimed either in progress (covered) or already answered with
# the refusal, so no outcome ever leaves a claimed key that nothing will complete. An
# unknown wallet claims nothing.
OPEN: Final = PositionalStatement(
    "WITH seen AS (SELECT FROM idempotency_keys WHERE user_id = :user_id AND key = :key"  # noqa: S608 - constants only
    "), wallet AS (SELECT FROM wallets WHERE user_id = :user_id"
    "), balance AS ("
    " SELECT balance, pending_debit FROM wallet_balances"
    " WHERE user_id = :user_id AND currency = :currency"
    " AND NOT EXISTS (SELECT FROM seen) FOR UPDATE"
    "), covered AS (SELECT EXISTS (SELECT FROM balance WHERE balance >= :amount) AS yes"
    "), claimed AS ("
    " INSERT INTO idempotency_keys (user_id, key, fingerprint, state, payment_id,"
    " response_status, response_body, created_at, completed_at)"
    " SELECT CAST(:user_id AS text), CAST(:key AS text), CAST(:fingerprint AS text),"
    " CASE WHEN c.yes THEN 'IN_PROGRESS' ELSE 'COMPLETED' END, CAST(:payment_id AS uuid),"
    " CASE WHEN c.yes THEN NULL ELSE CAST(:refusal_status AS smallint) END,"
    " CASE WHEN c.yes THEN NULL ELSE CAST(:refusal_body AS bytea) END,"
    " CAST(:created_at AS timestamptz),"
    " CASE WHEN c.yes THEN NULL ELSE CAST(:created_at AS timestamptz) END"
    " FROM covered AS c WHERE EXISTS (SELECT FROM wallet) AND NOT EXISTS (SELECT FROM seen)"
    f" ON CONFLICT ON CONSTRAINT {IDEMPOTENCY_KEYS_PKEY} DO NOTHING RETURNING state"
    # The debit is computed from the LOCKED row's balance. The UPDATE's own scan finds the
    # statement snapshot's version, and PostgreSQL checks the CHECK constraints on a row
    # computed from that one before it notices the row changed meanwhile (a deposit that
    # committed while this statement waited for the lock): `balance - :amount` failed as
    # "negative" a payment the latest balance covers. No `balance >= amount` guard: the
    # lock guarantees it, and were it ever wrong the CHECK fails the whole statement.
    # The debited money stays the wallet's, held, until the payment settles.
    "), debited AS ("
    " UPDATE wallet_balances SET balance = (SELECT balance FROM balance) - :amount,"
    " pending_debit = (SELECT pending_debit FROM balance) + :amount, updated_at = now()"
    " WHERE user_id = :user_id AND currency = :currency"
    " AND EXISTS (SELECT FROM claimed WHERE state = 'IN_PROGRESS') RETURNING balance"
    f"), entry AS ({insert_entry('p_', 'debited')}"
    f"), event AS ({insert_events(1, 'entry')})"
    " SELECT EXISTS (SELECT FROM wallet) AS wallet_exists,"
    " (SELECT state FROM claimed) AS claimed, EXISTS (SELECT FROM event) AS debited,"
    " k.user_id, k.key, k.fingerprint, k.state, k.payment_id, k.response_status,"
    " k.response_body, k.created_at"
    " FROM (VALUES (1)) AS one LEFT JOIN idempotency_keys AS k"
    " ON k.user_id = :user_id AND k.key = :key AND NOT EXISTS (SELECT FROM claimed)"
)


def _settle(refunded: bool) -> PositionalStatement:
    """Status move -> release of the held amount [+ credit back and REFUND row] -> events
    -> reply, every step guarded by the status move, which only a PENDING payment makes.

    The release reads the payment's own row (amount < 0), so what is released is exactly
    what was held. A refund leaves balance + pending_debit unchanged, so it always fits
    the total's limit. No lock is taken first: if another statement changed the balance
    row meanwhile, PostgreSQL checks the constraints once on values derived from this
    statement's snapshot before it re-applies the update to the latest row; those values
    pass too (the snapshot already holds this payment's debit, and the total only moves
    to the balance), so that check can never refuse a valid settlement.
    """
    credit_back = " balance = b.balance - s.amount," if refunded else ""
    refund = f", refund AS ({insert_entry('r_', 'released')})" if refunded else ""
    return PositionalStatement(
        "WITH settled AS ("  # noqa: S608 - constants only
        " UPDATE transactions SET status = :status, updated_at = :at"
        " WHERE id = :payment_id AND type = 'PAYMENT' AND status = 'PENDING'"
        " RETURNING id, user_id, currency, amount"
        "), released AS ("
        f" UPDATE wallet_balances AS b SET{credit_back}"
        " pending_debit = b.pending_debit + s.amount, updated_at = now()"
        " FROM settled AS s WHERE b.user_id = s.user_id AND b.currency = s.currency"
        f" RETURNING b.balance){refund}, events AS ("
        f"{insert_events(2 if refunded else 1, 'settled')}"
        "), reply AS ("
        " UPDATE idempotency_keys SET state = 'COMPLETED', response_status = :reply_status,"
        " response_body = :reply_body, completed_at = :at"
        " WHERE payment_id = :payment_id AND state = 'IN_PROGRESS'"
        " AND EXISTS (SELECT FROM settled) RETURNING 1"
        ") SELECT EXISTS (SELECT FROM settled) AS settled"
    )


SETTLE_APPROVED: Final = _settle(refunded=False)
SETTLE_REFUNDED: Final = _settle(refunded=True)
# A concurrent holder can commit after the statement's snapshot was taken: the insert then
# sees the conflict but the read cannot see the row. Nothing was written: try again.
_OPEN_ATTEMPTS: Final = 3


def _prefixed(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": value for name, value in row.items()}


class SqlaPaymentBook(PaymentBook):
    """A payment's writes on the request session's connection; never commits.

    `traceparent_provider` stamps each event with the current span, like SqlaOutboxWriter.
    """

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
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
        sqlstates = {DEADLOCK_DETECTED: IdempotencyInProgress}
        for _ in range(_OPEN_ATTEMPTS):
            row = await fetchrow(
                self._session,
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
            self._session,
            "payment_book.settle",
            statement,
            params,
            constraints=errors,
        )
        settled: bool = row["settled"]
        return settled
