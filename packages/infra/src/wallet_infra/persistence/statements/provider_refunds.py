"""A provider refund's write, ONE statement (run by `SqlaProviderPayments` via the driver)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.statements.inserts import insert_entry, insert_events

# Raise the payment's refunded total (transactions_given_back_within_amount refuses one that,
# with its chargebacks, is over its amount; the ledger trigger one over the re-debit of a
# FAILED or DECLINED payment) -> credit the wallet -> PROVIDER_REFUND row -> refund.created,
# each step guarded by the one before. The caller holds the payment's row lock.
REFUND: Final = DriverStatement(
    text(
        "WITH payment AS ("  # noqa: S608 - constants only
        " UPDATE transactions SET refunded_amount = refunded_amount + CAST(:amount AS bigint)"
        " WHERE id = :payment_id AND type = 'PAYMENT'"
        " AND status IN ('APPROVED', 'DECLINED', 'FAILED')"
        " RETURNING user_id, currency"
        "), credited AS ("
        " UPDATE wallet_balances AS b SET balance = b.balance + CAST(:amount AS bigint),"
        " updated_at = now()"
        " FROM payment AS p WHERE b.user_id = p.user_id AND b.currency = p.currency"
        f" RETURNING 1), entry AS ({insert_entry('t_', 'credited')}"
        f"), event AS ({insert_events(1, 'entry')}"
        ") SELECT EXISTS (SELECT FROM event) AS refunded"
    )
)
