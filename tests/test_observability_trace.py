"""Tracing: one payment is ONE trace, from the API's HTTP request through its DB
statements and the gateway call, across the outbox to the relay's publish, and on to the
consumer's handling (API, relay and consumer in this process, one TracerProvider)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from wallet_testkit.tracing import hex_trace_id, in_memory_tracing

from .observability_stack import (
    Stack,
    eventually,
    funded_wallet,
    pay,
    private_vhost,
    running_stack,
    stack_settings,
)

pytestmark = pytest.mark.integration

PAYMENT_ROUTE = "/wallets/{user_id}/payments"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with in_memory_tracing() as exporter:
        yield exporter


@pytest_asyncio.fixture(loop_scope="session")
async def stack(
    spans: InMemorySpanExporter,
    private_database_url: str,
    rabbit_control_and_url: tuple[Any, str],
) -> AsyncIterator[Stack]:
    with private_vhost(*rabbit_control_and_url) as amqp_url:
        async with running_stack(stack_settings(private_database_url, amqp_url)) as running:
            yield running


def _payment_server_span(finished: tuple[ReadableSpan, ...]) -> ReadableSpan:
    [server] = [
        s
        for s in finished
        if s.kind is SpanKind.SERVER and (s.attributes or {}).get("http.route") == PAYMENT_ROUTE
    ]
    return server


async def test_one_payment_is_one_trace_from_http_to_the_consumer(
    stack: Stack, spans: InMemorySpanExporter
) -> None:
    user_id = await funded_wallet(stack.api, 10_000)

    async def deposit_consumed() -> bool:
        return any(s.name == "metrics.queue process" for s in spans.get_finished_spans())

    # Counted before the payment, so the consumer never takes it in one batch with the
    # payment's events (the batch's inbox write would then belong to the deposit's trace).
    await eventually(deposit_consumed)
    response = await pay(stack.api, user_id, 1_250, "obs-trace-1")
    assert response.status_code == 201, response.text
    payment_id = response.json()["id"]

    server = _payment_server_span(spans.get_finished_spans())
    trace_id = hex_trace_id(server)

    def in_trace() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if hex_trace_id(s) == trace_id]

    async def consumed() -> bool:
        # payment.created and payment.completed both reach the metrics queue.
        return sum(s.name == "metrics.queue process" for s in in_trace()) >= 2

    await eventually(consumed)
    trace = in_trace()
    by_id = {s.context.span_id: s for s in trace if s.context is not None}

    # The HTTP server span is the root; everything else descends from it.
    assert server.parent is None
    for span in trace:
        if span is not server:
            assert span.parent is not None, span.name
            assert span.parent.span_id in by_id, span.name

    db = [s for s in trace if (s.attributes or {}).get("db.system") == "postgresql"]
    assert db, "no DB spans in the payment's trace"
    assert any(s.kind is SpanKind.CLIENT and s.parent == server.context for s in db)

    [gateway] = [s for s in trace if s.name == "gateway charge"]
    attributes = dict(gateway.attributes or {})
    assert attributes["wallet.payment_id"] == payment_id
    assert attributes["gateway.outcome"] == "approved"
    assert attributes["gateway.attempts"] == 1
    assert attributes["gateway.retries"] == 0
    assert attributes["gateway.breaker_state"] == "closed"
    # The gateway call is one span (its attempts are events on it), a child of the server's.
    assert gateway.kind is SpanKind.CLIENT
    assert gateway.parent == server.context
    assert not any(s.parent == gateway.context for s in trace)

    publishes = [s for s in trace if s.name == "payments.events publish"]
    assert {s.kind for s in publishes} == {SpanKind.PRODUCER}
    assert len(publishes) >= 2
    # The relay's batch span (its own trace) is linked from each publish.
    assert all(s.links for s in publishes)

    handled = [s for s in trace if s.name == "metrics.queue process"]
    assert {s.kind for s in handled} == {SpanKind.CONSUMER}
    publish_ids = {s.context.span_id for s in publishes if s.context is not None}
    assert {s.parent.span_id for s in handled if s.parent is not None} <= publish_ids
    assert all(s.parent is not None for s in handled)
    # The consumer's own DB work (the inbox) is inside its handling span.
    handled_ids = {s.context.span_id for s in handled if s.context is not None}
    assert any(s.parent is not None and s.parent.span_id in handled_ids for s in db)
