"""A hold as the API shows it, used for live and stored (replayed) bodies alike.

Every key is always present (absent ones are null); `captured` and `released` say what a
settled hold took and gave back (null and 0 while PENDING).
"""

from __future__ import annotations

from typing import Any

from wallet_domain.model.hold import Hold


def hold_json(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "status": hold.status.value,
        "amount": hold.money.amount,
        "currency": hold.money.currency,
        "captured": hold.captured,
        "released": hold.released,
        "reference": hold.reference,
        "expires_at": hold.expires_at,
        "created_at": hold.created_at,
        "updated_at": hold.updated_at,
    }
