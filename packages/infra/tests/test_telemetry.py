"""configure_telemetry's reading of the standard OTEL_* variables, and what our spans and
traceparents are with and without a provider (global state only patched for one test)."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, StatusCode, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from wallet_infra import telemetry
from wallet_infra.lean_spans import LeanTracer
from wallet_infra.logging_setup import add_trace_context
from wallet_infra.persistence.engine import make_engine
from wallet_infra.untraced_context import carry, release

POOL_EVENTS = ("connect", "close", "checkin", "checkout")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, []),
        ({"OTEL_TRACES_EXPORTER": "console"}, ["console"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, ["none"]),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ["otlp", "console"]),
    ],
)
def test_exporters_follow_the_standard_variables(
    environ: dict[str, str], expected: list[str]
) -> None:
    assert telemetry._exporter_names(environ) == expected


def test_an_unknown_exporter_is_refused() -> None:
    with pytest.raises(ValueError, match="zipkin"):
        telemetry._exporter("zipkin")


def test_sdk_disabled_installs_nothing() -> None:
    before = trace.get_tracer_provider()
    assert telemetry.configure_telemetry("x", environ={"OTEL_SDK_DISABLED": "TRUE"}) is None
    assert trace.get_tracer_provider() is before


@pytest.mark.parametrize(
    "environ", [{}, {"OTEL_TRACES_EXPORTER": "none"}, {"OTEL_EXPORTER_OTLP_ENDPOINT": ""}]
)
def test_without_an_exporter_nothing_is_installed(environ: dict[str, str]) -> None:
    before = trace.get_tracer_provider()
    assert telemetry.configure_telemetry("x", environ=environ) is None
    assert trace.get_tracer_provider() is before
    assert not telemetry.tracing_active()


def test_without_a_provider_our_spans_touch_no_context() -> None:
    with telemetry.start_span("x", kind=trace.SpanKind.CLIENT) as span:
        assert span is trace.INVALID_SPAN
        assert trace.get_current_span() is trace.INVALID_SPAN


def test_outside_any_span_and_any_request_an_event_gets_a_trace_of_its_own() -> None:
    """No span of ours (tracing off, a worker): still a valid traceparent, a new trace per
    event, sampled so a traced consumer records its part; logs get no ids."""
    first, second = telemetry.current_traceparent(), telemetry.current_traceparent()

    for value in (first, second):
        assert telemetry.valid_traceparent(value.encode()) == value
        assert value.endswith("-01")
    assert first.split("-")[1] != second.split("-")[1]
    assert telemetry.trace_ids() is None
    assert add_trace_context(None, "info", {"event": "x"}) == {"event": "x"}


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", True),
        (b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", True),
        (b"00-00000000000000000000000000000000-b7ad6b7169203331-01", False),  # zero trace
        (b"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", False),  # zero parent
        (b"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", False),  # version ff
        (b"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", False),  # upper case
        (b"not a traceparent", False),
    ],
)
def test_a_request_keeps_the_trace_context_it_brought_for_all_its_events(
    header: bytes, kept: bool
) -> None:
    """Tracing off: its events are children of the caller's span when the header is valid;
    otherwise the request gets one trace of its own, made on its first event and shared by
    the rest."""
    token = carry(telemetry.valid_traceparent(header))
    try:
        first, second = telemetry.current_traceparent(), telemetry.current_traceparent()
    finally:
        release(token)

    assert first == second
    assert (first == header.decode()) is kept
    assert telemetry.valid_traceparent(first.encode()) == first


def test_the_tracer_is_built_once_per_provider_and_follows_a_new_one() -> None:
    first, second = TracerProvider(), TracerProvider()
    assert telemetry._tracer_of(first) is telemetry._tracer_of(first)
    assert telemetry._tracer_of(second) is not telemetry._tracer_of(first)
    assert isinstance(telemetry._tracer_of(first), LeanTracer)
    # Only the SDK's tracer is wrapped; any other provider's is used as it is.
    assert type(telemetry._tracer_of(trace.NoOpTracerProvider())) is trace.NoOpTracer


def test_the_traceparent_names_the_current_span_even_without_a_provider() -> None:
    remote = NonRecordingSpan(
        SpanContext(
            trace_id=0x0AF7651916CD43DD8448EB211C80319C,
            span_id=0xB7AD6B7169203331,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    )
    with trace.use_span(remote):
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        assert telemetry.current_traceparent() == carrier["traceparent"]
        assert carrier["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_tracing_is_active_while_an_sdk_provider_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not telemetry.tracing_active()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", TracerProvider())
    assert telemetry.tracing_active()
    with telemetry.start_span("x", kind=trace.SpanKind.CLIENT) as span:
        assert span.is_recording()


def test_an_engine_is_traced_per_statement_without_pool_hooks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", TracerProvider())
    engine = make_engine("postgresql://u:p@localhost:1/db")
    pool = engine.sync_engine.pool
    untouched = {name: len(getattr(pool.dispatch, name)) for name in POOL_EVENTS}

    telemetry.instrument_engine(engine)

    assert len(engine.sync_engine.dispatch.before_cursor_execute) == 1  # a span per statement
    assert {name: len(getattr(pool.dispatch, name)) for name in POOL_EVENTS} == untouched


def test_a_leaf_span_is_a_child_never_current_and_records_errors_not_cancellations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    with telemetry.start_span("parent", kind=trace.SpanKind.SERVER) as parent:
        with telemetry.leaf_span("ok", kind=trace.SpanKind.CLIENT, attributes={"a": 1}) as leaf:
            assert leaf.is_recording()
            assert trace.get_current_span() is parent
        with (
            pytest.raises(ZeroDivisionError),
            telemetry.leaf_span("failed", kind=trace.SpanKind.CLIENT),
        ):
            _ = 1 / 0
        with (
            pytest.raises(asyncio.CancelledError),
            telemetry.leaf_span("cancelled", kind=trace.SpanKind.CLIENT),
        ):
            raise asyncio.CancelledError
    spans = {span.name: span for span in exporter.get_finished_spans()}
    parent_id = spans["parent"].context.span_id
    for name in ("ok", "failed", "cancelled"):
        parent_of = spans[name].parent
        assert parent_of is not None
        assert parent_of.span_id == parent_id
        assert spans[name].kind is trace.SpanKind.CLIENT
    assert spans["ok"].attributes == {"a": 1}
    assert spans["ok"].status.status_code is StatusCode.UNSET
    assert spans["failed"].status.status_code is StatusCode.ERROR
    assert spans["failed"].status.description == "ZeroDivisionError: division by zero"
    assert [event.name for event in spans["failed"].events] == ["exception"]
    assert spans["cancelled"].status.status_code is StatusCode.UNSET
    assert spans["cancelled"].events == ()


def test_without_a_provider_a_leaf_span_is_the_invalid_span() -> None:
    with telemetry.leaf_span("x", kind=trace.SpanKind.CLIENT) as span:
        assert span is trace.INVALID_SPAN
