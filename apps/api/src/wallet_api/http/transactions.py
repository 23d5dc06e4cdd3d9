"""A ledger entry as the API shows it, used for live and stored (replayed) bodies alike.

Every key is always present (absent ones are null) so clients see one shape; `amount` is
the positive number of minor units, the direction is in `type`.
"""

from __future__ import annotations

from typing import Any

from wallet_domain.model.transaction import LedgerEntry


def transaction_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "type": entry.type.value,
        "status": entry.status.value,
        "amount": entry.money.amount,
        "currency": entry.money.currency,
        "provider_id": entry.provider_id,
        "external_reference": entry.external_reference,
        "reference": entry.reference,
        "refund_of": entry.refund_of,
        "hold_id": entry.hold_id,
        "transfer_id": entry.transfer_id,
        "dispute_id": entry.dispute_id,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
    }
