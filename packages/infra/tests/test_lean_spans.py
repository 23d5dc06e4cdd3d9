"""LeanTracer against the SDK's Tracer: the same scenario through each, with the same
clock and ids, exports the same spans, byte for byte as OTLP and field for field as the
console exporter's JSON, whatever the attributes, limits, sampler, events, links,
statuses and misuse; and `telemetry.tracer()` is a LeanTracer whose spans reach the
processors."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
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
from wallet_infra import lean_spans, telemetry
from wallet_infra.lean_spans import LeanSpan, LeanTracer

NOW = 1_765_000_000_000_000_000
REMOTE = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
UNSAMPLED_REMOTE = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}


class Currency(enum.StrEnum):
    EUR = "EUR"


class Attempts(enum.IntEnum):
    ONE = 1


class _Counting(IdGenerator):
    """Ids in sequence, so both tracers draw the same ones in the same order."""

    def __init__(self) -> None:
        self.next = 0x1000

    def _draw(self) -> int:
        self.next += 0x10001
        return self.next

    def generate_span_id(self) -> int:
        return self._draw()

    def is_trace_id_random(self) -> bool:
        return True  # so the W3C random-trace-id flag is set, as RandomIdGenerator's are

    def generate_trace_id(self) -> int:
        # Spread over the whole range, so a ratio sampler keeps some and drops some.
        return (self._draw() * 0x9E3779B97F4A7C15_F39CC0605CEDC834) % (1 << 128)


class _Starts(sdk_trace.SpanProcessor):
    """What a processor sees of a span before it ends: its start, and its ending."""

    def __init__(self) -> None:
        self.started: list[tuple[str, bool]] = []

    def on_start(self, span: sdk_trace.Span, parent_context: Any = None) -> None:
        self.started.append((span.name, parent_context is not None))

    def _on_ending(self, span: sdk_trace.Span) -> None:
        self.started.append((f"ending {span.name}", span.is_recording()))


@dataclass
class _Run:
    spans: list[ReadableSpan]
    returned: list[trace.Span]
    started: list[tuple[str, bool]]


Scenario = Callable[[trace.Tracer, list[trace.Span]], None]


class _Clock:
    """Nanoseconds that tick by a microsecond per reading, from NOW again for each run."""

    def __init__(self) -> None:
        self.ticks: Iterator[int] = iter(())

    def reset(self) -> None:
        self.ticks = iter(range(NOW, NOW + 10**9, 1_000))

    def __call__(self) -> int:
        return next(self.ticks)


_CLOCK = _Clock()


@pytest.fixture(autouse=True)
def _frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_trace, "time_ns", _CLOCK)
    monkeypatch.setattr(lean_spans, "time_ns", _CLOCK)


def _run(scenario: Scenario, lean: bool, sampler: Sampler | None, limits: SpanLimits) -> _Run:
    _CLOCK.reset()
    exporter = InMemorySpanExporter()
    starts = _Starts()
    provider = TracerProvider(
        sampler=sampler,
        resource=Resource.create({"service.name": "wallet-api"}),
        id_generator=_Counting(),
        span_limits=limits,
    )
    provider.add_span_processor(starts)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sdk = provider.get_tracer("wallet")
    assert isinstance(sdk, sdk_trace.Tracer)
    returned: list[trace.Span] = []
    scenario(LeanTracer(sdk) if lean else sdk, returned)
    provider.shutdown()
    return _Run(list(exporter.get_finished_spans()), returned, starts.started)


def _both(
    scenario: Scenario, *, sampler: Sampler | None = None, limits: SpanLimits | None = None
) -> tuple[_Run, _Run]:
    """The scenario through the SDK's tracer and through a LeanTracer over the same kind
    of provider; asserts they export the same and returns both runs."""
    limits = limits or SpanLimits()
    sdk, lean = _run(scenario, False, sampler, limits), _run(scenario, True, sampler, limits)
    assert _comparable(lean.spans) == _comparable(sdk.spans)
    assert _as_json(lean.spans) == _as_json(sdk.spans)
    assert [span.is_recording() for span in lean.returned] == [
        span.is_recording() for span in sdk.returned
    ]
    assert [span.get_span_context() for span in lean.returned] == [
        span.get_span_context() for span in sdk.returned
    ]
    assert lean.started == sdk.started
    return sdk, lean


def _comparable(spans: list[ReadableSpan]) -> bytes:
    """The spans as OTLP bytes, each exception's stack trace cut to its last line (the
    frames above it are the tracer's own, which differ)."""
    request = encode_spans(spans)
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                for event in span.events:
                    for attribute in event.attributes:
                        if attribute.key == "exception.stacktrace":
                            lines = attribute.value.string_value.strip().splitlines()
                            attribute.value.string_value = lines[-1]
    return request.SerializeToString(deterministic=True)


def _as_json(spans: list[ReadableSpan]) -> list[dict[str, Any]] | None:
    """The spans as the console exporter writes them, stack traces cut as above (None
    for a bytes value, which that JSON cannot hold)."""
    try:
        written = [json.loads(span.to_json()) for span in spans]
    except TypeError:
        return None
    for span in written:
        for event in span["events"]:
            trace_text = event["attributes"].get("exception.stacktrace")
            if trace_text is not None:
                event["attributes"]["exception.stacktrace"] = trace_text.strip().splitlines()[-1]
    return written


def _a_request(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
    remote = TraceContextTextMapPropagator().extract({**REMOTE, "tracestate": "vendor=abc"})
    server = tracer.start_span(
        "POST",
        remote,
        SpanKind.SERVER,
        {"http.request.method": "POST", "url.path": "/v1/payments", "retry.ratio": 0.5},
    )
    inside = set_span_in_context(server)
    statement = tracer.start_span("INSERT", inside, SpanKind.CLIENT, {"db.system": "pg"})
    statement.end()
    gateway = tracer.start_span("gateway charge", inside, SpanKind.CLIENT)
    gateway.add_event("attempt failed", {"attempt": 1, "error": "timeout"})
    gateway.record_exception(TimeoutError("read timed out"), {"extra": True})
    gateway.set_status(StatusCode.ERROR, "TimeoutError: read timed out")
    gateway.end()
    server.set_attribute("url.path", "/v1/payments/")  # re-set: moves to the end
    server.set_attributes(
        {"http.route": "/v1/payments", "retry.ratio": 0.25, "http.response.status_code": 201}
    )
    server.update_name("POST /v1/payments")
    server.set_status(Status(StatusCode.OK))
    server.set_status(Status(StatusCode.ERROR, "after OK: ignored"))
    server.end()
    returned += [server, statement, gateway]


def test_a_traced_request_exports_what_the_sdk_exports() -> None:
    _, lean = _both(_a_request)
    assert len(lean.spans) == 3
    assert all(type(span) is LeanSpan for span in lean.returned)
    assert lean.spans[0] is lean.returned[1]  # type: ignore[comparison-overlap]  # no copy


def test_attributes_that_are_not_plain_are_cleaned_as_the_sdk_cleans_them() -> None:
    def odd(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        span = tracer.start_span(
            "odd", attributes={"currency": Currency.EUR, "tags": ["a", "b"], "ok": True}
        )
        span.set_attribute("attempts", Attempts.ONE)
        span.set_attribute("codes", (1, 2))
        span.set_attribute("raw", b"\x00\x01")
        span.set_attribute("nothing", None)
        span.set_attribute("", "empty key")
        span.set_attribute(7, "a number as key")  # type: ignore[arg-type]
        span.set_attribute("mapping", {"k": "v"})
        span.set_attribute("object", object())  # type: ignore[arg-type]
        span.set_attributes({"later": "plain", "ok": False})
        span.end()
        returned.append(span)

    sdk, lean = _both(odd)
    assert lean.spans[0].dropped_attributes == sdk.spans[0].dropped_attributes > 0


def test_plain_attributes_stay_a_plain_dict() -> None:
    def plain(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        span = tracer.start_span("plain", attributes={"a": "x", "b": 1, "c": 0.5, "d": True})
        span.set_attribute("a", "y")
        span.end()
        returned.append(span)

    _, lean = _both(plain)
    assert type(lean.returned[0]._attributes) is dict  # type: ignore[attr-defined]


def test_the_span_limits_drop_and_count_as_the_sdk_does() -> None:
    def crowded(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        span = tracer.start_span("crowded", attributes={"a": 1, "b": 2})
        span.set_attributes({"c": 3, "d": 4, "b": 5})
        for n in range(4):
            span.add_event(f"event {n}", {"n": n, "m": -n})
        span.add_link(SpanContext(0x1, 0x2, is_remote=True), {"x": 1, "y": 2})
        span.add_link(SpanContext(0x3, 0x4, is_remote=True))
        span.add_link(SpanContext(0x5, 0x6, is_remote=True))
        span.end()
        returned.append(span)

    limits = SpanLimits(
        max_span_attributes=3,
        max_events=2,
        max_event_attributes=1,
        max_links=2,
        max_link_attributes=1,
    )
    _, lean = _both(crowded, limits=limits)
    exported = lean.spans[0]
    assert (exported.dropped_attributes, exported.dropped_events, exported.dropped_links) == (
        1,
        2,
        1,
    )


def test_with_a_length_limit_or_links_at_the_start_the_sdk_makes_the_span() -> None:
    def linked(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        link = Link(SpanContext(0x1, 0x2, is_remote=True), {"queue": "payments"})
        first = tracer.start_span("linked", links=[link], attributes={"long": "abcdefgh"})
        first.end()
        returned.append(first)

    _, lean = _both(linked)
    assert type(lean.returned[0]) is sdk_trace._Span
    _, lean = _both(_a_request, limits=SpanLimits(max_span_attribute_length=4))
    assert all(type(span) is sdk_trace._Span for span in lean.returned)


@pytest.mark.parametrize(
    "sampler",
    [
        ALWAYS_OFF,
        ParentBased(ALWAYS_OFF),
        TraceIdRatioBased(0.5),
        ParentBased(TraceIdRatioBased(0.5)),
    ],
    ids=["always_off", "parentbased_always_off", "traceidratio", "parentbased_traceidratio"],
)
def test_the_configured_sampler_decides_as_it_does_for_the_sdk(sampler: Sampler) -> None:
    def many(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        for remote in ({}, REMOTE, UNSAMPLED_REMOTE):
            parent = TraceContextTextMapPropagator().extract(remote)
            for n in range(8):
                span = tracer.start_span(f"span {n}", parent, attributes={"n": n})
                span.end()
                returned.append(span)

    sdk, lean = _both(many, sampler=sampler)
    recorded = [span.is_recording() for span in sdk.returned]
    assert recorded == [False] * len(recorded)  # all ended; and now which were sampled:
    sampled = [span.get_span_context().trace_flags.sampled for span in lean.returned]
    if sampler is ALWAYS_OFF:
        assert not any(sampled)
    elif isinstance(sampler, TraceIdRatioBased):
        assert any(sampled)
        assert not all(sampled)


def test_a_changed_ended_span_is_left_as_it_was_with_the_sdks_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def misused(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        span = tracer.start_span("done", attributes={"a": 1})
        span.end()
        span.set_attribute("a", 2)
        span.set_attributes({"b": 3})
        span.update_name("renamed")
        span.set_status(StatusCode.ERROR)
        span.add_event("late")
        span.add_link(SpanContext(0x1, 0x2, is_remote=True))
        span.end()
        returned.append(span)

    warned = []
    for lean in (False, True):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            _run(misused, lean, None, SpanLimits())
        warned.append([(r.name, r.getMessage()) for r in caplog.records])
    assert warned[1] == warned[0]
    assert len(warned[0]) == 7
    _both(misused)


def test_an_error_inside_a_current_span_is_recorded_as_the_sdk_records_it() -> None:
    def failing(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        def declined() -> None:
            with tracer.start_as_current_span("outer") as outer:
                returned.append(outer)
                assert trace.get_current_span() is outer
                with tracer.start_span("inner") as inner:  # the span as its own manager
                    returned.append(inner)
                    raise ValueError("declined")

        with pytest.raises(ValueError, match="declined"):
            declined()
        quiet = tracer.start_span("quiet", record_exception=False, set_status_on_exception=False)
        with pytest.raises(KeyError, match="x"), quiet:
            raise KeyError("x")
        returned.append(quiet)

    _, lean = _both(failing)
    assert [span.status.status_code for span in lean.spans] == [
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]


def test_a_status_and_a_tracestate_follow_the_sdks_rules() -> None:
    def statuses(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        state = TraceState([("vendor", "abc")])
        parent = SpanContext(
            0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(1), trace_state=state
        )
        span = tracer.start_span("s", trace.set_span_in_context(trace.NonRecordingSpan(parent)))
        span.set_status(Status(StatusCode.UNSET))
        span.set_status(Status(StatusCode.ERROR, "first"), "ignored description")
        span.set_status(StatusCode.UNSET)
        span.set_status(StatusCode.ERROR, "second")
        span.end()
        returned.append(span)

    _both(statuses)


def test_our_tracer_is_lean_and_its_spans_reach_the_installed_processors() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = telemetry._tracer_of(provider)
    assert isinstance(tracer, LeanTracer)
    with tracer.start_as_current_span("outer", kind=SpanKind.SERVER):
        tracer.start_span("inner", kind=SpanKind.CLIENT).end()
    inner, outer = exporter.get_finished_spans()
    assert inner.parent == outer.context
    assert inner.instrumentation_scope is not None
    assert inner.instrumentation_scope.name == telemetry.TRACER_NAME


def test_as_a_coroutine_functions_decorator_the_span_lasts_the_whole_run() -> None:
    def decorated(tracer: trace.Tracer, returned: list[trace.Span]) -> None:
        @tracer.start_as_current_span("job")
        async def job() -> None:
            await asyncio.sleep(0)
            span = trace.get_current_span()
            span.set_attribute("after_a_suspension", True)
            returned.append(span)

        asyncio.run(job())

    _, lean = _both(decorated)
    assert lean.spans[0].attributes == {"after_a_suspension": True}
