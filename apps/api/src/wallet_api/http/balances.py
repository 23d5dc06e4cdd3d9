"""A balance as the API shows it (GET /wallets/{user_id} and, plus `pending`, /balance)."""

from __future__ import annotations

from typing import Any

from wallet_domain.model.wallet import Balance


def balance_json(balance: Balance) -> dict[str, Any]:
    """`total` is what the wallet owns: available + pending_debit (pending credits are not
    its money yet)."""
    return {
        "currency": balance.currency,
        "available": balance.available,
        "pending_debit": balance.pending_debit,
        "pending_credit": balance.pending_credit,
        "total": balance.total,
    }
