"""The provider events the mock sends on its own: late settlements and refunds.

`unknown` mode holds a charge's outcome back from the caller and from lookups; like a real
provider, it tells the wallet later with a `payment.settled` webhook, sent
`webhook_settle_delay_s` after the charge. A refund recorded through the admin endpoint is
announced with `payment.refunded`.
"""

from __future__ import annotations

from mock_gateway.state import GatewayState, Outcome
from mock_gateway.webhook_sender import Delivery, WebhookBacklogFull


class RefundRefused(Exception):
    """The charge cannot be refunded by that much (or at all): nothing was recorded."""


def send_late_settlement(state: GatewayState, payment_id: str, outcome: Outcome) -> None:
    """Queue the held-back outcome's `payment.settled`. A full backlog drops it: the
    outcome stays on record for lookups (after `/admin/release`) and reconciliation."""
    try:
        state.webhooks.emit(
            "payment.settled",
            {"payment_id": payment_id, "status": outcome.status},
            delay_s=state.webhook_settle_delay_s,
        )
    except WebhookBacklogFull:
        return


def refund(state: GatewayState, payment_id: str, amount: int | None) -> Delivery:
    """Record a refund of `amount` (default: what is left) on an approved charge and queue
    its `payment.refunded`. `KeyError` for an unknown payment, `RefundRefused` for one not
    charged, fully refunded, or refunded past its amount."""
    outcome = state.outcomes[payment_id]
    left = outcome.amount - outcome.refunded_amount
    amount = left if amount is None else amount
    if outcome.status != "approved" or left <= 0 or not 0 < amount <= left:
        raise RefundRefused(f"{left} of the charge can be refunded, not {amount}")
    delivery = state.webhooks.emit("payment.refunded", {"payment_id": payment_id, "amount": amount})
    outcome.refunded_amount += amount
    return delivery
