"""A pending deposit's settlement, ONE statement (run by `SqlaPendingDeposits`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.inserts import insert_events

# Status move -> balance (credited if COMPLETED) and pending_credit -> event, each guarded
# by the move, which only a PENDING deposit makes.
SETTLE_DEPOSIT: Final = DriverStatement(
    text(
        "WITH moved AS ("  # noqa: S608 - constants only
        " UPDATE transactions SET status = CAST(:status AS text), updated_at = :at"
        " WHERE id = :deposit_id AND type = 'DEPOSIT' AND status = 'PENDING'"
        " RETURNING user_id, currency, amount"
        "), settled AS ("
        " UPDATE wallet_balances AS b"
        " SET balance = b.balance + CASE WHEN CAST(:status AS text) = 'COMPLETED'"
        " THEN m.amount ELSE 0 END,"
        " pending_credit = b.pending_credit - m.amount, updated_at = now()"
        " FROM moved AS m WHERE b.user_id = m.user_id AND b.currency = m.currency RETURNING 1"
        f"), event AS ({insert_events(1, 'moved')}"
        ") SELECT EXISTS (SELECT FROM moved) AS moved"
    )
)
