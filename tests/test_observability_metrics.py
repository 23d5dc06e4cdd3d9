"""Prometheus from every process: after a scripted run of payments, the API's,
the relay's and the metrics consumer's `/metrics` expose the named series, with counts
matching the run (as deltas: the API's registry is process-wide); and every metric the alert
rules and Grafana dashboards read (deploy/) is one of those processes (or the periodic
reconciliation) exports. The audit
consumer exports the same consumer series as the metrics consumer (one implementation)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any, Final

import httpx
import pytest
import pytest_asyncio
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from wallet_ops.reconcile_metrics import ReconcileMetrics
from wallet_testkit.api import new_key

from .observability_stack import (
    PROVIDER_ID,
    Stack,
    eventually,
    funded_wallet,
    has_series,
    pay,
    private_vhost,
    running_stack,
    sample,
    stack_settings,
)
from .promql_inventory import metrics_read

pytestmark = pytest.mark.integration

APPROVED: Final = 5
DECLINED: Final = 2
PAYMENT_ROUTE: Final = "/wallets/{user_id}/payments"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest_asyncio.fixture(loop_scope="session")
async def stack(
    private_database_url: str, rabbit_control_and_url: tuple[Any, str]
) -> AsyncIterator[Stack]:
    with private_vhost(*rabbit_control_and_url) as amqp_url:
        settings = stack_settings(private_database_url, amqp_url, relay_metrics_port=_free_port())
        async with running_stack(settings) as running:
            yield running


async def _relay_metrics(stack: Stack) -> str:
    url = f"http://127.0.0.1:{stack.settings.relay_metrics_port}/metrics"
    async with httpx.AsyncClient(timeout=5.0) as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.text


async def test_every_process_exposes_its_series_with_matching_counts(stack: Stack) -> None:
    async def relay_idle() -> bool:
        text = await _relay_metrics(stack)
        return has_series(text, "wallet_outbox_backlog") and (
            sample(text, "wallet_outbox_backlog") == 0
        )

    await eventually(relay_idle, timeout_s=30)  # whatever earlier tests left is drained
    api_before = await stack.api_metrics()
    consumer_before = await stack.consumer_metrics()
    relay_before = await _relay_metrics(stack)

    user_id = await funded_wallet(stack.api, 100_000, "EUR")
    for n in range(APPROVED):
        response = await pay(stack.api, user_id, 100 + n, f"obs-metrics-{n}", "EUR")
        assert response.json()["status"] == "APPROVED", response.text
    for n in range(DECLINED):
        response = await pay(stack.api, user_id, 100 + n, f"mock:declined:obs-{n}", "EUR")
        assert response.status_code == 402, response.text  # PAYMENT_DECLINED

    def delta(before: str, after: str, name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    # API: HTTP RED and the gateway client.
    api = await stack.api_metrics()
    paid = delta(api_before, api, "http_requests_total", method="POST", route=PAYMENT_ROUTE)
    assert paid == APPROVED + DECLINED
    charges = {"operation": "charge"}
    assert delta(api_before, api, "wallet_gateway_calls_total", outcome="approved", **charges) == (
        APPROVED
    )
    assert delta(api_before, api, "wallet_gateway_calls_total", outcome="declined", **charges) == (
        DECLINED
    )
    assert delta(api_before, api, "wallet_gateway_attempts_total", **charges) == (
        APPROVED + DECLINED
    )
    assert delta(api_before, api, "wallet_gateway_retries_total", **charges) == 0
    assert sample(api, "wallet_gateway_breaker_state", state="closed") == 1
    assert sample(api, "wallet_gateway_breaker_state", state="open") == 0
    assert sample(api, "wallet_gateway_bulkhead_in_use") == 0
    assert sample(api, "wallet_gateway_bulkhead_capacity") > 0

    # Consumer: every payment counted once, lag observed, DLQ empty.
    payments = APPROVED + DECLINED

    async def consumed() -> bool:
        text = await stack.consumer_metrics()
        done = delta(consumer_before, text, "wallet_payments_total", currency="EUR")
        return done >= payments

    await eventually(consumed, timeout_s=30)
    consumer = await stack.consumer_metrics()
    # By currency: this test's own payments are the only EUR ones, while events of the
    # tests before it (USD) may still be on their way through the consumer.
    eur = {"currency": "EUR"}
    assert delta(consumer_before, consumer, "wallet_payments_total", status="APPROVED", **eur) == (
        APPROVED
    )
    assert delta(consumer_before, consumer, "wallet_payments_total", status="DECLINED", **eur) == (
        DECLINED
    )
    # created + completed/failed per payment (and whatever earlier events arrived meanwhile).
    lag_count = delta(consumer_before, consumer, "wallet_consumer_lag_seconds_count")
    assert lag_count >= 2 * payments
    assert has_series(consumer, "wallet_consumer_lag_seconds_bucket")
    assert sample(consumer, "wallet_consumer_dlq_depth", queue="metrics.queue.dlq") == 0

    # Relay: every event published (the deposit's too), backlog back to zero.
    relay = await _relay_metrics(stack)
    published = delta(relay_before, relay, "wallet_relay_published_total")
    assert published >= 2 * payments + 1
    assert delta(relay_before, relay, "wallet_relay_publish_batch_seconds_count") >= 1
    assert has_series(relay, "wallet_outbox_oldest_unsent_age_seconds")
    await eventually(relay_idle, timeout_s=30)


# The sample names of each metric type (a labelled family with no child yet has no sample).
SAMPLE_SUFFIXES: Final = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
}


def _exported(text: str) -> set[str]:
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {s.name for s in family.samples}
        names |= {family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, ("",))}
    return names


async def test_every_metric_the_alerts_and_dashboards_read_is_exported(stack: Stack) -> None:
    user_id = await funded_wallet(stack.api, 10_000, "USD")
    # A retried charge (the mock answers 500 every time) registers stamina's retry counter;
    # a replayed payment, the replay counter's series.
    failed = await pay(stack.api, user_id, 100, "mock:error:obs-names")
    assert failed.status_code >= 400, failed.text
    body = {"provider_id": PROVIDER_ID, "external_reference": "obs-names", "amount": 100}
    key = {"Idempotency-Key": new_key()}
    for _ in range(2):
        paid = await stack.api.post(
            f"/wallets/{user_id}/payments", json={**body, "currency": "USD"}, headers=key
        )
        assert paid.status_code == 201, paid.text

    exported = _exported(await stack.api_metrics()) | _exported(await _relay_metrics(stack))
    exported |= _exported(await stack.consumer_metrics())
    # The periodic reconciliation's gauges (its own process; the same registry class).
    exported |= _exported(generate_latest(ReconcileMetrics().registry).decode())
    missing = {
        name: sorted(where) for name, where in metrics_read().items() if name not in exported
    }
    assert not missing, f"read by deploy/ but exported by no process: {missing}"
