"""The bounded name of a provider event's type, for metric labels and the event log."""

from __future__ import annotations

from typing import Final

from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderEvent,
    ProviderEventType,
)

# Any type we do not act on counts under one label: the provider's own names would let
# it grow a metric's label set without bound.
UNSUPPORTED_LABEL: Final = "unsupported"


def event_type_label(event: ProviderEvent) -> str:
    """`payment.settled`, `payment.refunded`, `dispute.updated`, or `unsupported`."""
    match event:
        case PaymentSettled():
            return ProviderEventType.PAYMENT_SETTLED.value
        case PaymentRefunded():
            return ProviderEventType.PAYMENT_REFUNDED.value
        case DisputeUpdated():
            return ProviderEventType.DISPUTE_UPDATED.value
        case _:
            return UNSUPPORTED_LABEL
