"""A hold's writes, each ONE statement (run by `SqlaHoldBook` through the driver)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.inserts import insert_entry, insert_events
from wallet_infra.persistence.statements.typed import typed_params
from wallet_infra.persistence.tables import IDEMPOTENCY_KEYS_PKEY, holds

_HOLD_COLUMNS: Final = tuple(column.name for column in holds.c)

# A key this statement's snapshot already holds is a replay: nothing is locked or claimed,
# the holder is read back. Otherwise the balance row is locked, and only if it covers the
# hold (and the wallet exists) is the key claimed, already answered with the reply: the
# debit, hold, ledger row and event follow the claim. The debit is computed from the
# LOCKED row (see PaymentBook's OPEN for why not from the UPDATE's own scan).
OPEN_HOLD: Final = DriverStatement(
    text(
        "WITH seen AS (SELECT FROM idempotency_keys WHERE user_id = :user_id AND key = :key"  # noqa: S608 - constants only
        "), wallet AS (SELECT FROM wallets WHERE user_id = :user_id"
        "), balance AS ("
        " SELECT balance, pending_debit FROM wallet_balances"
        " WHERE user_id = :user_id AND currency = :currency"
        " AND NOT EXISTS (SELECT FROM seen) FOR UPDATE"
        "), claimed AS ("
        " INSERT INTO idempotency_keys (user_id, key, fingerprint, state, payment_id,"
        " response_status, response_body, created_at, completed_at)"
        " SELECT CAST(:user_id AS text), CAST(:key AS text), CAST(:fingerprint AS text),"
        " 'COMPLETED', NULL, CAST(:reply_status AS smallint), CAST(:reply_body AS bytea),"
        " CAST(:created_at AS timestamptz), CAST(:created_at AS timestamptz)"
        " FROM balance AS b WHERE b.balance >= :amount AND EXISTS (SELECT FROM wallet)"
        f" ON CONFLICT ON CONSTRAINT {IDEMPOTENCY_KEYS_PKEY} DO NOTHING RETURNING 1"
        "), debited AS ("
        " UPDATE wallet_balances SET balance = (SELECT balance FROM balance) - :amount,"
        " pending_debit = (SELECT pending_debit FROM balance) + :amount, updated_at = now()"
        " WHERE user_id = :user_id AND currency = :currency"
        " AND EXISTS (SELECT FROM claimed) RETURNING balance"
        f"), hold AS (INSERT INTO holds ({', '.join(_HOLD_COLUMNS)})"
        f" SELECT {typed_params(holds, _HOLD_COLUMNS, 'h_')} FROM debited RETURNING id"
        f"), entry AS ({insert_entry('t_', 'hold')}"
        f"), event AS ({insert_events(1, 'entry')}"
        ") SELECT EXISTS (SELECT FROM wallet) AS wallet_exists,"
        " EXISTS (SELECT FROM claimed) AS claimed, EXISTS (SELECT FROM event) AS held,"
        " k.user_id, k.key, k.fingerprint, k.state, k.payment_id, k.response_status,"
        " k.response_body, k.created_at"
        " FROM (VALUES (1)) AS one LEFT JOIN idempotency_keys AS k"
        " ON k.user_id = :user_id AND k.key = :key AND NOT EXISTS (SELECT FROM claimed)"
    )
)
# A concurrent holder can commit after the statement's snapshot was taken: the insert then
# sees the conflict but the read cannot see the row. Nothing was written: try again.
OPEN_ATTEMPTS: Final = 3


def _settle(released: bool) -> DriverStatement:
    """Status move -> release [+ HOLD_RELEASE row] -> event, each guarded by the move.

    Only an expiry moves a hold whose `expires_at` is at or before the database's clock
    (as the expiry worker's claim): a completion or revert then moves nothing and `due`
    says why. The clock is `clock_timestamp()`, read when the row is checked: `now()` is
    the transaction's start, and a keyed or conditional settlement's transaction begins
    with its key claim and may then wait for the hold's or the wallet's lock past the
    deadline. A row another transaction changed while this one waited is checked again,
    at that later time; one whose locker rolled back is not (PostgreSQL does not re-check
    an unchanged row), so an unkeyed move queued behind a keyed one that then failed is
    checked as it began to wait: late by that wait at most, which the other request's
    own deadline bounds. `due` reads the statement's snapshot, which a move committed while
    this one waited for the row (the worker's) is not in: the expiry then tried finds the
    hold settled and moves nothing, so the flag is never acted on twice."""
    release = f", release AS ({insert_entry('t_', 'moved')})" if released else ""
    return DriverStatement(
        text(
            "WITH moved AS ("  # noqa: S608 - constants only
            " UPDATE holds SET status = CAST(:status AS text),"
            " captured = CAST(:captured AS bigint), updated_at = :at"
            " WHERE id = :hold_id AND status = 'PENDING'"
            " AND (CAST(:status AS text) = 'EXPIRED' OR expires_at > clock_timestamp())"
            " RETURNING user_id, currency, amount"
            "), released AS ("
            " UPDATE wallet_balances AS b SET balance = b.balance + CAST(:released AS bigint),"
            " pending_debit = b.pending_debit - m.amount, updated_at = now()"
            " FROM moved AS m WHERE b.user_id = m.user_id AND b.currency = m.currency"
            f" RETURNING 1){release}, event AS ({insert_events(1, 'moved')}"
            ") SELECT EXISTS (SELECT FROM moved) AS moved,"
            # Only a move that did not happen asks why (CASE runs the branch it takes).
            " CASE WHEN EXISTS (SELECT FROM moved) THEN false ELSE"
            " EXISTS (SELECT FROM holds WHERE id = :hold_id AND status = 'PENDING'"
            " AND expires_at <= clock_timestamp() AND CAST(:status AS text) <> 'EXPIRED')"
            " END AS due"
        )
    )


SETTLE_RELEASING: Final = _settle(released=True)
SETTLE_CAPTURING_ALL: Final = _settle(released=False)

KEY_TAKEN: Final = DriverStatement(
    text("SELECT EXISTS (SELECT FROM idempotency_keys WHERE user_id = :u AND key = :k) AS taken")
)
