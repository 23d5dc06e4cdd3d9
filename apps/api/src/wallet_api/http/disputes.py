"""A dispute as the API shows it, used for live and stored (replayed) bodies alike."""

from __future__ import annotations

from typing import Any

from wallet_domain.model.dispute import Dispute


def dispute_json(dispute: Dispute) -> dict[str, Any]:
    return {
        "id": dispute.id,
        "payment_id": dispute.payment_id,
        "user_id": dispute.user_id,
        "status": dispute.status.value,
        "amount": dispute.money.amount,
        "currency": dispute.money.currency,
        "reason": dispute.reason,
        "evidence": list(dispute.evidence),
        "evidence_forwarded": dispute.evidence_forwarded,
        "created_at": dispute.created_at,
        "updated_at": dispute.updated_at,
    }
