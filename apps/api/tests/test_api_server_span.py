"""The HTTP server span (middleware/server_span.py): one per request when the process
traces, continuing the caller's trace, named by route, and the parent of the request's
own spans; none at all when it does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import pytest
from dishka import Provider, Scope, provide
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from wallet_api.middleware.server_span import ServerSpanMiddleware
from wallet_api_testkit import StartApi
from wallet_domain.model.provider import ServiceProvider
from wallet_domain.use_cases.list_providers import ListProviders
from wallet_testkit.tracing import hex_trace_id, in_memory_tracing

CALLER_TRACE: Final = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN: Final = "00f067aa0ba902b7"
BALANCE_ROUTE: Final = "/wallets/{user_id}/balance"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with in_memory_tracing() as exporter:
        yield exporter


def _servers(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


class _Exploding(ListProviders):
    def __init__(self) -> None:
        """No ports: it fails before it would need any."""

    async def execute(self) -> list[ServiceProvider]:
        raise RuntimeError("boom")


class _ExplodingProvider(Provider):
    @provide(scope=Scope.REQUEST)
    def list_providers(self) -> ListProviders:
        return _Exploding()


async def test_a_request_continues_the_callers_trace_under_its_route_name(
    start_api: StartApi, spans: InMemorySpanExporter
) -> None:
    async with start_api() as api:
        user_id = await api.funded_wallet(500)
        spans.clear()
        response = await api.client.get(
            f"/wallets/{user_id}/balance",
            headers={
                "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
                "User-Agent": "span-test/1.0",
            },
        )
        assert response.status_code == 200, response.text
    [server] = _servers(spans)
    assert server.name == f"GET {BALANCE_ROUTE}"
    assert hex_trace_id(server) == CALLER_TRACE
    assert server.parent is not None
    assert server.parent.is_remote
    assert format(server.parent.span_id, "016x") == CALLER_SPAN
    assert dict(server.attributes or {}) == {
        "http.request.method": "GET",
        "url.scheme": "http",
        "url.path": f"/wallets/{user_id}/balance",
        "network.protocol.version": "1.1",
        "client.address": "127.0.0.1",
        "user_agent.original": "span-test/1.0",
        "http.route": BALANCE_ROUTE,
        "http.response.status_code": 200,
    }
    assert server.status.status_code is StatusCode.UNSET
    # The balance read's DB span is the server span's child, in the caller's trace.
    [db] = [s for s in spans.get_finished_spans() if s.name == "wallet_balances.read"]
    assert db.parent is not None
    assert server.context is not None
    assert db.parent.span_id == server.context.span_id


async def test_a_request_without_a_caller_starts_a_trace(
    start_api: StartApi, spans: InMemorySpanExporter
) -> None:
    async with start_api() as api:
        assert (await api.client.get("/providers")).status_code == 200
    [server] = _servers(spans)
    assert server.parent is None
    assert server.name == "GET /providers"


async def test_a_path_no_route_matches_is_named_by_its_method_alone(
    start_api: StartApi, spans: InMemorySpanExporter
) -> None:
    async with start_api() as api:
        assert (await api.client.get("/nope")).status_code == 404
    [server] = _servers(spans)
    assert server.name == "GET"
    assert "http.route" not in (server.attributes or {})
    assert (server.attributes or {})["http.response.status_code"] == 404
    assert server.status.status_code is StatusCode.UNSET  # a client error is not the server's


async def test_probes_and_scrapes_are_untraced(
    start_api: StartApi, spans: InMemorySpanExporter
) -> None:
    async with start_api() as api:
        assert (await api.client.get("/healthz")).status_code == 200
        assert (await api.client.get("/readyz")).status_code == 200
    assert _servers(spans) == []


async def test_an_unexpected_exception_marks_the_span_with_it(
    start_api: StartApi, spans: InMemorySpanExporter
) -> None:
    async with start_api(extra_providers=(_ExplodingProvider(),)) as api:
        assert (await api.client.get("/providers")).status_code == 500
    [server] = _servers(spans)
    assert (server.attributes or {})["http.response.status_code"] == 500
    assert server.status.status_code is StatusCode.ERROR
    [event] = [e for e in server.events if e.name == "exception"]
    assert (event.attributes or {})["exception.type"] == "RuntimeError"


async def test_no_server_span_layer_when_the_process_does_not_trace(
    start_api: StartApi,
) -> None:
    async with start_api() as api:
        layers = [m.cls for m in api.app.user_middleware]
    assert ServerSpanMiddleware not in layers
    with in_memory_tracing():
        async with start_api() as api:
            assert ServerSpanMiddleware in [m.cls for m in api.app.user_middleware]
