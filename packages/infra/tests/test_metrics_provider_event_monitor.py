"""PrometheusProviderEventMonitor: one count and one log line per provider event delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs
from wallet_domain.model.provider_event import (
    PaymentSettled,
    ProviderEventOutcome,
    UnsupportedProviderEvent,
)
from wallet_infra.metrics.provider_event_monitor import PrometheusProviderEventMonitor

NOW = datetime.now(UTC)


def _count(registry: CollectorRegistry, event_type: str, outcome: str) -> float | None:
    return registry.get_sample_value(
        "wallet_webhook_events_total", {"type": event_type, "outcome": outcome}
    )


def test_each_delivery_is_counted_by_type_and_outcome_and_logged() -> None:
    registry = CollectorRegistry()
    monitor = PrometheusProviderEventMonitor(registry=registry)
    payment_id = uuid4()
    event = PaymentSettled(
        provider_event_id="evt_1", created_at=NOW, payment_id=payment_id, approved=False
    )

    with capture_logs() as logs:
        monitor.observed(event, ProviderEventOutcome.CONTRADICTION)
        monitor.observed(event, ProviderEventOutcome.DUPLICATE)

    assert _count(registry, "payment.settled", "contradiction") == 1
    assert _count(registry, "payment.settled", "duplicate") == 1
    assert logs[0] == {
        "event": "provider_event",
        "log_level": "warning",  # an operator should look
        "provider_event_id": "evt_1",
        "type": "payment.settled",
        "outcome": "contradiction",
        "payment_id": str(payment_id),
        "approved": False,
    }
    assert logs[1]["log_level"] == "info"


def test_types_we_do_not_act_on_share_one_label() -> None:
    registry = CollectorRegistry()
    monitor = PrometheusProviderEventMonitor(registry=registry)

    for name in ("charge.captured", "payout.sent"):
        event = UnsupportedProviderEvent(provider_event_id=name, created_at=NOW, type=name)
        monitor.observed(event, ProviderEventOutcome.UNSUPPORTED)

    assert _count(registry, "unsupported", "unsupported") == 2


def test_monitors_on_one_registry_share_its_counter() -> None:
    registry = CollectorRegistry()
    event = UnsupportedProviderEvent(provider_event_id="e", created_at=NOW, type="x")

    PrometheusProviderEventMonitor(registry=registry).observed(
        event, ProviderEventOutcome.UNSUPPORTED
    )
    PrometheusProviderEventMonitor(registry=registry).observed(
        event, ProviderEventOutcome.UNSUPPORTED
    )

    assert _count(registry, "unsupported", "unsupported") == 2
