"""A transfer, ONE statement (run by `SqlaTransferBook` through the driver)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.inserts import insert_entry, insert_events
from wallet_infra.persistence.tables import IDEMPOTENCY_KEYS_PKEY
from wallet_infra.persistence.wallet_balances import CREDIT_ON_CONFLICT

# Both wallets must exist or nothing is locked or claimed. A key this statement's snapshot
# already holds is a replay: nothing is locked or claimed, the holder is read back.
# The debit is computed from the LOCKED row's balance (see PaymentBook's OPEN for why);
# the credit is the same upsert as a deposit's, which creates the receiver's balance in a
# currency it never held. A receiver row that appears after this statement's snapshot is
# only locked by the upsert, out of the canonical order: the rare deadlock that can make
# is broken by PostgreSQL and the statement runs again (`ATTEMPTS`).
MOVE: Final = DriverStatement(
    text(
        "WITH seen AS (SELECT FROM idempotency_keys WHERE user_id = :from_user_id AND key = :key"  # noqa: S608 - constants only
        "), parties AS ("
        " SELECT EXISTS (SELECT FROM wallets WHERE user_id = :from_user_id) AS sender,"
        " EXISTS (SELECT FROM wallets WHERE user_id = :to_user_id) AS receiver"
        "), locked AS ("
        " SELECT user_id, balance FROM wallet_balances"
        " WHERE user_id IN (:from_user_id, :to_user_id) AND currency = :currency"
        " AND NOT EXISTS (SELECT FROM seen)"
        " AND EXISTS (SELECT FROM parties WHERE sender AND receiver)"
        " ORDER BY user_id FOR UPDATE"
        "), covered AS (SELECT EXISTS ("
        " SELECT FROM locked WHERE user_id = :from_user_id AND balance >= :amount) AS yes"
        "), claimed AS ("
        " INSERT INTO idempotency_keys (user_id, key, fingerprint, state,"
        " response_status, response_body, created_at, completed_at)"
        " SELECT CAST(:from_user_id AS text), CAST(:key AS text), CAST(:fingerprint AS text),"
        " 'COMPLETED',"
        " CASE WHEN c.yes THEN CAST(:reply_status AS smallint)"
        " ELSE CAST(:refusal_status AS smallint) END,"
        " CASE WHEN c.yes THEN CAST(:reply_body AS bytea) ELSE CAST(:refusal_body AS bytea) END,"
        " CAST(:created_at AS timestamptz), CAST(:created_at AS timestamptz)"
        " FROM covered AS c WHERE EXISTS (SELECT FROM parties WHERE sender AND receiver)"
        " AND NOT EXISTS (SELECT FROM seen)"
        f" ON CONFLICT ON CONSTRAINT {IDEMPOTENCY_KEYS_PKEY} DO NOTHING RETURNING 1"
        "), moving AS (SELECT FROM claimed, covered WHERE covered.yes"
        "), debited AS ("
        " UPDATE wallet_balances"
        " SET balance = (SELECT balance FROM locked WHERE user_id = :from_user_id) - :amount,"
        " updated_at = now()"
        " WHERE user_id = :from_user_id AND currency = :currency AND EXISTS (SELECT FROM moving)"
        " RETURNING 1"
        "), credited AS ("
        " INSERT INTO wallet_balances (user_id, currency, balance)"
        " SELECT CAST(:to_user_id AS text), CAST(:currency AS char(3)), CAST(:amount AS bigint)"
        f" FROM debited{CREDIT_ON_CONFLICT} RETURNING 1"
        "), moved AS ("
        " INSERT INTO transfers (id, from_user_id, to_user_id, amount, currency, reference,"
        " status, created_at)"
        " SELECT CAST(:transfer_id AS uuid), CAST(:from_user_id AS text),"
        " CAST(:to_user_id AS text), CAST(:amount AS bigint), CAST(:currency AS char(3)),"
        " CAST(:reference AS text), CAST(:status AS text), CAST(:created_at AS timestamptz)"
        " FROM credited RETURNING id"
        f"), debit_leg AS ({insert_entry('d_', 'moved')}"
        f"), credit_leg AS ({insert_entry('c_', 'debit_leg')}"
        f"), event AS ({insert_events(1, 'credit_leg')})"
        " SELECT p.sender, p.receiver, EXISTS (SELECT FROM claimed) AS claimed,"
        " EXISTS (SELECT FROM moving) AS covered, EXISTS (SELECT FROM event) AS moved,"
        " k.user_id, k.key, k.fingerprint, k.state, k.payment_id, k.response_status,"
        " k.response_body, k.created_at"
        " FROM parties AS p LEFT JOIN idempotency_keys AS k"
        " ON k.user_id = :from_user_id AND k.key = :key AND NOT EXISTS (SELECT FROM claimed)"
    )
)
