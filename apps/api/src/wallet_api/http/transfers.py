"""A transfer as the API shows it, used for live and stored (replayed) bodies alike."""

from __future__ import annotations

from typing import Any

from wallet_domain.model.transfer import Transfer


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "status": transfer.status.value,
        "from_user_id": transfer.from_user_id,
        "to_user_id": transfer.to_user_id,
        "amount": transfer.money.amount,
        "currency": transfer.money.currency,
        "reference": transfer.reference,
        "created_at": transfer.created_at,
    }
