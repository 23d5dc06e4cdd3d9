"""A payment's two writes, each ONE statement (run by `AsyncpgPaymentBook`).

Data-modifying CTEs chain the steps, each guarded by the previous one's RETURNING rows
(the debit only if the key was claimed in progress, the ledger row only if debited, ...),
so a write is all-or-nothing within the statement and costs one round trip.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.inserts import insert_entry as _insert_entry
from wallet_infra.persistence.statements.inserts import insert_events as _insert_events
from wallet_infra.persistence.tables import IDEMPOTENCY_KEYS_PKEY

# A key this statement's snapshot already holds is a replay: nothing is locked or claimed,
# the holder is read back. Otherwise the balance row is locked first (FOR UPDATE re-reads
# the latest committed version), so "covered" is decided on the balance the debit will
# change. The key is then claimed either in progress (covered) or already answered with
# the refusal, so no outcome ever leaves a claimed key that nothing will complete. An
# unknown wallet claims nothing.
OPEN: Final = DriverStatement(
    text(
        "WITH seen AS (SELECT FROM idempotency_keys WHERE user_id = :user_id AND key = :key"  # noqa: S608 - constants only
        "), wallet AS (SELECT FROM wallets WHERE user_id = :user_id"
        "), balance AS ("
        " SELECT balance, pending_debit, version FROM wallet_balances"
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
        # The debited money stays the wallet's, held, until the payment settles. The row's
        # version moves here too, so the table's trigger has nothing to do (hot path).
        "), debited AS ("
        " UPDATE wallet_balances SET balance = (SELECT balance FROM balance) - :amount,"
        " pending_debit = (SELECT pending_debit FROM balance) + :amount,"
        " version = (SELECT version FROM balance) + 1, updated_at = now()"
        " WHERE user_id = :user_id AND currency = :currency"
        " AND EXISTS (SELECT FROM claimed WHERE state = 'IN_PROGRESS') RETURNING balance"
        f"), entry AS ({_insert_entry('p_', 'debited')}"
        f"), event AS ({_insert_events(1, 'entry')})"
        " SELECT EXISTS (SELECT FROM wallet) AS wallet_exists,"
        " (SELECT state FROM claimed) AS claimed, EXISTS (SELECT FROM event) AS debited,"
        " k.user_id, k.key, k.fingerprint, k.state, k.payment_id, k.response_status,"
        " k.response_body, k.created_at"
        " FROM (VALUES (1)) AS one LEFT JOIN idempotency_keys AS k"
        " ON k.user_id = :user_id AND k.key = :key AND NOT EXISTS (SELECT FROM claimed)"
    )
)


def _settle(refunded: bool) -> DriverStatement:
    """Status move -> release of the held amount [+ credit back and REFUND row] -> events
    -> reply, every step guarded by the status move, which only a PENDING payment makes.

    The release reads the payment's own row (amount < 0), so what is released is exactly
    what was held. A refund leaves balance + pending_debit unchanged, so it always fits
    the total's limit. No lock is taken first: if another statement changed the balance
    row meanwhile, PostgreSQL checks the constraints once on values derived from this
    statement's snapshot before it re-applies the update to the latest row; those values
    pass too (the snapshot already holds this payment's debit, and the total only moves
    to the balance), so that check can never refuse a valid settlement.

    The balance row's version moves in the same SET (the trigger then skips it; were
    `b.version` ever stale, the trigger moves it past the latest).

    Lock order: the balance row before the idempotency key, as `OPEN` takes them. The
    reply waits for the release (its guard reads `released`), so a copy of the request
    racing for the key, holding the balance row and waiting on the key, never waits on
    a settlement that waits on it (which deadlocked, and the settlement lost).
    """
    credit_back = " balance = b.balance - s.amount," if refunded else ""
    refund = f", refund AS ({_insert_entry('r_', 'released')})" if refunded else ""
    return DriverStatement(
        text(
            "WITH settled AS ("  # noqa: S608 - constants only
            " UPDATE transactions SET status = :status, updated_at = :at"
            " WHERE id = :payment_id AND type = 'PAYMENT' AND status = 'PENDING'"
            " RETURNING id, user_id, currency, amount"
            "), released AS ("
            f" UPDATE wallet_balances AS b SET{credit_back}"
            " pending_debit = b.pending_debit + s.amount, version = b.version + 1,"
            " updated_at = now()"
            " FROM settled AS s WHERE b.user_id = s.user_id AND b.currency = s.currency"
            f" RETURNING b.balance){refund}, events AS ("
            f"{_insert_events(2 if refunded else 1, 'settled')}"
            "), reply AS ("
            " UPDATE idempotency_keys SET state = 'COMPLETED', response_status = :reply_status,"
            " response_body = :reply_body, completed_at = :at"
            " WHERE payment_id = :payment_id AND state = 'IN_PROGRESS'"
            " AND EXISTS (SELECT FROM released) RETURNING 1"
            ") SELECT EXISTS (SELECT FROM settled) AS settled"
        )
    )


SETTLE_APPROVED: Final = _settle(refunded=False)
SETTLE_REFUNDED: Final = _settle(refunded=True)
