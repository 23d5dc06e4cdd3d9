"""The in-place OTLP encoder against the OTLP exporter's own: the same request, byte for
byte, for every kind of span, attribute value and grouping a batch can hold; and the
OTLP/HTTP exporter sends what it encodes."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from opentelemetry.exporter.otlp.proto.common.trace_encoder import (
    encode_spans as exporters_encode_spans,
)
from opentelemetry.exporter.otlp.proto.http import trace_exporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    Link,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from wallet_infra import telemetry
from wallet_infra.otlp_span_encoding import encode_spans, use_in_otlp_exporter

REMOTE_PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class Currency(enum.StrEnum):
    EUR = "EUR"


class Attempts(enum.IntEnum):
    ONE = 1


def _same_request(spans: list[ReadableSpan]) -> bytes:
    ours = encode_spans(spans).SerializeToString(deterministic=True)
    assert ours == exporters_encode_spans(spans).SerializeToString(deterministic=True)
    return ours


def _finished(
    resource: Resource, build: Any, *, limits: SpanLimits | None = None
) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=resource, span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    build(provider)
    provider.shutdown()
    return list(exporter.get_finished_spans())


def _a_request(provider: TracerProvider) -> None:
    """A traced request as the API makes one: a server span under a remote parent (with a
    tracestate), client spans under it, an error recorded, an event, a link."""
    tracer = provider.get_tracer("wallet")
    remote = TraceContextTextMapPropagator().extract(
        {"traceparent": REMOTE_PARENT, "tracestate": "vendor=abc,other=1"}
    )
    attributes = {
        "http.request.method": "POST",
        "url.path": "/v1/payments",
        "http.response.status_code": 201,
        "network.protocol.version": "1.1",
        "retry.ratio": 0.25,
        "cached": False,
        "tags": ("a", "b"),
        "codes": [1, 2, 3],
        "flags": [True, False],
        "weights": [0.5, 1.5],
    }
    server = tracer.start_span("POST /v1/payments", remote, SpanKind.SERVER, attributes)
    inside = set_span_in_context(server)
    tracer.start_span("INSERT", inside, SpanKind.CLIENT, {"db.system": "postgresql"}).end()
    gateway = tracer.start_span("gateway charge", inside, SpanKind.CLIENT)
    gateway.add_event("attempt failed", {"attempt": 1, "error": "timeout"})
    gateway.record_exception(TimeoutError("read timed out"))
    gateway.set_status(Status(StatusCode.ERROR, "TimeoutError: read timed out"))
    gateway.end()
    linked = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(1))
    consumer = provider.get_tracer("consumer", "2.1", "https://schema/1.21").start_span(
        "consume", kind=SpanKind.CONSUMER, links=[Link(linked, {"queue": "payments"})]
    )
    consumer.set_status(Status(StatusCode.OK))
    consumer.end()
    server.end()
    tracer.start_span("a root of its own", kind=SpanKind.PRODUCER).end()


def test_a_traced_request_encodes_byte_for_byte_as_the_exporter_does() -> None:
    spans = _finished(Resource.create({"service.name": "wallet-api"}), _a_request)

    assert len(spans) == 5
    request = ExportTraceServiceRequest.FromString(_same_request(spans))
    (resource_spans,) = request.resource_spans
    assert [scope.scope.name for scope in resource_spans.scope_spans] == ["wallet", "consumer"]
    server = next(s for s in resource_spans.scope_spans[0].spans if s.name.startswith("POST"))
    assert server.trace_state == "vendor=abc,other=1"
    assert server.flags == 0x300  # has-is-remote and is-remote: its parent came over HTTP


def test_dropped_attributes_events_and_links_are_counted_as_the_exporter_counts_them() -> None:
    limits = SpanLimits(max_span_attributes=2, max_events=1, max_links=1)

    def build(provider: TracerProvider) -> None:
        context = SpanContext(0xABC, 0xDEF, is_remote=False)
        span = provider.get_tracer("wallet").start_span(
            "busy", attributes={"a": 1, "b": 2, "c": 3}, links=[Link(context), Link(context)]
        )
        span.add_event("one")
        span.add_event("two")
        span.end()

    (span,) = _finished(Resource.create({}), build, limits=limits)
    request = ExportTraceServiceRequest.FromString(_same_request([span]))
    encoded = request.resource_spans[0].scope_spans[0].spans[0]
    assert (encoded.dropped_attributes_count, encoded.dropped_events_count) == (1, 1)
    assert encoded.dropped_links_count == 1


def _raw_span(
    name: str,
    attributes: Mapping[str, Any],
    *,
    resource: Resource,
    scope: InstrumentationScope | None,
    events: tuple[Event, ...] = (),
) -> ReadableSpan:
    """A span as an exporter may receive it from any SDK pipeline: attributes as given,
    not cleaned by the SDK's limits."""
    return ReadableSpan(
        name=name,
        context=SpanContext(0xF00D, 0xBEEF, is_remote=False, trace_state=TraceState()),
        parent=None,
        resource=resource,
        attributes=attributes,
        events=events,
        kind=SpanKind.INTERNAL,
        instrumentation_scope=scope,
        start_time=1,
        end_time=2,
    )


def test_every_attribute_value_the_exporter_encodes_is_encoded_the_same() -> None:
    attributes = {
        "none": None,
        "bytes": b"\x00\xff",
        "str subclass": Currency.EUR,
        "int subclass": Attempts.ONE,
        "big but int64": -(2**63),
        "nested": [["a", 1], [], [None, b"x"]],
        "mapping": {"k": "v", 7: [1.5], "inner": {"deep": True}},
        "empty sequence": (),
        "empty mapping": {},
    }
    events = (Event("audit", {"who": "ops", "ids": [1, 2]}, timestamp=5),)
    span = _raw_span("values", attributes, resource=Resource({}), scope=None, events=events)

    request = ExportTraceServiceRequest.FromString(_same_request([span]))
    scope_spans = request.resource_spans[0].scope_spans[0]
    assert scope_spans.HasField("scope")  # an empty scope, as the exporter sends one
    assert scope_spans.scope.name == ""
    assert [a.key for a in scope_spans.spans[0].attributes] == list(attributes)


@pytest.fixture
def encoder_errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.ERROR):
        yield caplog


def test_an_attribute_that_cannot_be_encoded_is_left_out_and_logged_as_the_exporter_does(
    encoder_errors: pytest.LogCaptureFixture,
) -> None:
    attributes = {
        "kept": "yes",
        "too big for int64": 2**70,
        "an object": object(),
        "inside a list": [1, object()],
        "also kept": 2,
    }
    span = _raw_span("bad values", attributes, resource=Resource({}), scope=None)

    request = ExportTraceServiceRequest.FromString(_same_request([span]))
    encoded = request.resource_spans[0].scope_spans[0].spans[0]
    assert [a.key for a in encoded.attributes] == ["kept", "also kept"]
    ours = [r for r in encoder_errors.records if r.name == "wallet_infra.otlp_span_encoding"]
    assert [r.getMessage().split(":")[0] for r in ours] == [
        "Failed to encode key too big for int64",
        "Failed to encode key an object",
        "Failed to encode key inside a list",
    ]


def test_spans_are_grouped_by_equal_resources_and_scopes_in_order_of_first_appearance() -> None:
    api = Resource({"service.name": "api"}, schema_url="https://schema/1.21")
    api_again = Resource({"service.name": "api"}, schema_url="https://schema/1.21")
    relay = Resource({"service.name": "relay"})
    wallet = InstrumentationScope("wallet", "1.0", "https://schema/1.20", {"team": "payments"})
    wallet_again = InstrumentationScope(
        "wallet", "1.0", "https://schema/1.20", {"team": "payments"}
    )
    sqlalchemy = InstrumentationScope("sqlalchemy")
    batch = [
        _raw_span("1", {}, resource=relay, scope=sqlalchemy),
        _raw_span("2", {}, resource=api, scope=wallet),
        _raw_span("3", {"n": 1}, resource=relay, scope=None),
        _raw_span("4", {}, resource=api_again, scope=sqlalchemy),
        _raw_span("5", {}, resource=api, scope=wallet_again),
        _raw_span("6", {}, resource=relay, scope=sqlalchemy),
    ]

    request = ExportTraceServiceRequest.FromString(_same_request(batch))
    grouped = [
        [[span.name for span in scope.spans] for scope in resource.scope_spans]
        for resource in request.resource_spans
    ]
    assert grouped == [[["1", "6"], ["3"]], [["2", "5"], ["4"]]]


def test_an_empty_batch_is_an_empty_request() -> None:
    assert _same_request([]) == b""


class _Recording(requests.adapters.BaseAdapter):
    """A transport that keeps what the exporter posts and answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []

    def send(self, request: requests.PreparedRequest, **_: Any) -> requests.Response:
        assert isinstance(request.body, bytes)
        self.bodies.append(request.body)
        response = requests.Response()
        response.status_code = 200
        response._content = b""
        return response

    def close(self) -> None:
        pass


def test_configuring_the_otlp_exporter_makes_it_encode_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trace_exporter, "encode_spans", exporters_encode_spans)

    assert isinstance(telemetry._exporter("otlp"), trace_exporter.OTLPSpanExporter)

    assert trace_exporter.encode_spans is encode_spans
    use_in_otlp_exporter()  # again: nothing changes
    assert trace_exporter.encode_spans is encode_spans


def test_the_otlp_exporter_posts_what_its_modules_encoder_returns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `use_in_otlp_exporter` relies on: the exporter calls the encoder by its
    module's name (an upgrade that stops doing so fails here, not silently)."""
    batches: list[int] = []

    def counted(sdk_spans: Any) -> ExportTraceServiceRequest:
        batches.append(len(sdk_spans))
        return encode_spans(sdk_spans)

    monkeypatch.setattr(trace_exporter, "encode_spans", counted)
    transport = _Recording()
    session = requests.Session()
    session.mount("http://", transport)
    spans = _finished(Resource.create({"service.name": "wallet-api"}), _a_request)

    exporter = trace_exporter.OTLPSpanExporter(
        endpoint="http://collector/v1/traces", session=session
    )
    exporter.export(spans)

    assert batches == [5]
    assert transport.bodies == [exporters_encode_spans(spans).SerializePartialToString()]


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP traces endpoint: parses each request as the collector would."""

    received: list[ExportTraceServiceRequest] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.headers["Content-Type"] == "application/x-protobuf"
        self.received.append(ExportTraceServiceRequest.FromString(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    received: list[ExportTraceServiceRequest] = []
    _Collector.received = received
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_exporter_delivers_what_a_collector_parses_back_to_the_spans(
    collector: tuple[str, list[ExportTraceServiceRequest]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, received = collector
    monkeypatch.setattr(trace_exporter, "encode_spans", exporters_encode_spans)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    spans = _finished(Resource.create({"service.name": "wallet-api"}), _a_request)

    exporter = telemetry._exporter("otlp")  # what configure_telemetry installs
    assert exporter is not None
    assert exporter.export(spans).name == "SUCCESS"

    (request,) = received
    assert request.SerializeToString(deterministic=True) == _same_request(spans)
    names = sorted(
        span.name
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    )
    assert names == sorted(span.name for span in spans)
