"""`ProviderEventMonitor`: a Prometheus counter and one structured log line per delivery.

- `wallet_webhook_events_total{type,outcome}`: every provider event delivery handled here
  (sync route or broker consumer), by type (`payment.settled`, `payment.refunded`,
  `dispute.updated`, `unsupported` for any other) and outcome (`applied`, `duplicate`,
  `unknown_target`, `already_settled`, `contradiction`, `refused`, `unsupported`).
  Repeats count as `duplicate`, so `applied` counts each event once across deliveries.

The log line (`provider_event`) carries the provider's event id, its type and outcome and
what it was about (payment or dispute id); contradictions and refusals are warnings: an
operator should look. Labels are bounded: ids never become labels.
"""

from __future__ import annotations

from typing import Final
from weakref import WeakKeyDictionary

import structlog
from prometheus_client import CollectorRegistry, Counter
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    PaymentSettled,
    ProviderEvent,
    ProviderEventOutcome,
    UnsupportedProviderEvent,
)
from wallet_domain.model.provider_event_label import event_type_label
from wallet_domain.ports.provider_event_monitor import ProviderEventMonitor

_log = structlog.get_logger("wallet.webhooks")
_WARN: Final = frozenset({ProviderEventOutcome.CONTRADICTION, ProviderEventOutcome.REFUSED})
# One counter per registry: every app a test process builds shares the process's registry.
_COUNTERS: WeakKeyDictionary[CollectorRegistry, Counter] = WeakKeyDictionary()


def _counter(registry: CollectorRegistry) -> Counter:
    counter = _COUNTERS.get(registry)
    if counter is None:
        counter = _COUNTERS[registry] = Counter(
            "wallet_webhook_events",
            "Provider event deliveries handled, by event type and outcome.",
            ["type", "outcome"],
            registry=registry,
        )
    return counter


def _fields(event: ProviderEvent) -> dict[str, object]:
    match event:
        case PaymentSettled():
            return {"payment_id": str(event.payment_id), "approved": event.approved}
        case PaymentRefunded():
            return {"payment_id": str(event.payment_id), "amount": event.amount}
        case DisputeUpdated():
            return {"dispute_id": str(event.dispute_id), "status": event.status.value}
        case UnsupportedProviderEvent():
            return {"provider_type": event.type}
    return {}


class PrometheusProviderEventMonitor(ProviderEventMonitor):
    def __init__(self, *, registry: CollectorRegistry) -> None:
        self._events = _counter(registry)

    def observed(self, event: ProviderEvent, outcome: ProviderEventOutcome) -> None:
        label = event_type_label(event)
        self._events.labels(label, outcome.value).inc()
        log = _log.warning if outcome in _WARN else _log.info
        log(
            "provider_event",
            provider_event_id=event.provider_event_id,
            type=label,
            outcome=outcome.value,
            **_fields(event),
        )
