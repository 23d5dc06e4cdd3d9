"""OpenTelemetry tracing: one call per process, configured by the standard `OTEL_*` vars.

`configure_telemetry(service_name)` installs the process's TracerProvider:

- `OTEL_SDK_DISABLED=true`: nothing is installed, as with no exporter (below).
- `OTEL_TRACES_EXPORTER`: a comma-separated list of `otlp` (OTLP over HTTP/protobuf,
  endpoint from `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, default http://localhost:4318;
  its requests encoded by `otlp_span_encoding`),
  `console` (one JSON span per line on stdout) and `none`.
- Unset: `otlp` when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
  is set, else no exporter at all.
- No exporter (none configured, or only `none`): tracing is off, exactly as with
  `OTEL_SDK_DISABLED`: no TracerProvider, and nothing is instrumented, so a request makes
  no span at all (a span nobody exports costs CPU on every request and shows nowhere).
  Log lines then carry no `trace_id`; outbox rows still carry a traceparent: the one the
  request brought, or a trace of its own (`untraced_context`).

Sampling is the SDK's: `OTEL_TRACES_SAMPLER` (default `parentbased_always_on`) and
`OTEL_TRACES_SAMPLER_ARG`. Our own spans (`tracer()`, `start_span`, `leaf_span`) are
`lean_spans.LeanSpan`s, exported exactly as the SDK's own would be for about half the
CPU; other instrumentations' spans are the SDK's. `OTEL_SERVICE_NAME` /
`OTEL_RESOURCE_ATTRIBUTES` override or add resource attributes, the service name included
(the process's own name, e.g. `wallet-api`, is only the default). Exporters run behind a
BatchSpanProcessor (`OTEL_BSP_*`), so a slow or absent collector never blocks a request.

Idempotent per process: when an SDK TracerProvider is already installed (a second app in
the same process, or a test that installed one with an in-memory exporter) it is returned
as is. `instrument_engine` is safe to call whether or not tracing is configured, and does
nothing unless a TracerProvider is installed (`tracing_active`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.environment_variables import OTEL_PYTHON_TRACER_PROVIDER
from opentelemetry.sdk.environment_variables import (
    OTEL_RESOURCE_ATTRIBUTES,
    OTEL_SERVICE_NAME,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from wallet_infra.lean_spans import LeanTracer
from wallet_infra.untraced_context import untraced_traceparent

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

TRACER_NAME: Final = "wallet"
TRACEPARENT: Final = "traceparent"

_W3C: Final = TraceContextTextMapPropagator()
_NO_CONTEXT: Final = otel_context.Context()

# Set, it names a TracerProvider the API loads on first use (see `tracing_active`).
_PROVIDER_FROM_ENVIRONMENT: Final = OTEL_PYTHON_TRACER_PROVIDER in os.environ

_OTLP_ENDPOINT_VARS: Final = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


def tracer() -> trace.Tracer:
    """The tracer of our own spans, from the provider installed now (before one is, a
    proxy that follows the provider installed later)."""
    return _tracer_of(trace.get_tracer_provider())


@functools.lru_cache(maxsize=8)
def _tracer_of(provider: trace.TracerProvider) -> trace.Tracer:
    # Cached per provider: the SDK builds a new Tracer (and its scope) on every
    # get_tracer call, which the relay paid once per published event.
    # Also wrapped: the SDK's tracer in a LeanTracer, our spans for half the CPU.
    sdk = provider.get_tracer(TRACER_NAME)
    return LeanTracer(sdk) if isinstance(sdk, SdkTracer) else sdk


def start_span(
    name: str, *, kind: trace.SpanKind, attributes: Mapping[str, Any] | None = None
) -> AbstractContextManager[trace.Span]:
    """Our own span around a block, current inside it; without a TracerProvider, the
    invalid span and nothing else (no context is attached and detached for a no-op)."""
    if not tracing_active():
        return nullcontext(trace.INVALID_SPAN)
    return tracer().start_as_current_span(name, kind=kind, attributes=attributes)


def leaf_span(
    name: str, *, kind: trace.SpanKind, attributes: Mapping[str, Any] | None = None
) -> AbstractContextManager[trace.Span]:
    """A span around a block that starts no span of its own (a driver statement): a child
    of the current span, recorded as `start_span`'s (an exception recorded, the status
    ERROR), but never made current, so no context is attached and detached around it and
    no generator context managers run (a few us per span; a traced payment in-process
    0.975 of what it was with two of its spans current)."""
    if not tracing_active():
        return nullcontext(trace.INVALID_SPAN)
    return _Ending(tracer().start_span(name, kind=kind, attributes=attributes))


class _Ending(AbstractContextManager[trace.Span]):
    """Ends its span on leaving, as `trace.use_span(..., end_on_exit=True)` does."""

    __slots__ = ("_span",)

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def __enter__(self) -> trace.Span:
        return self._span

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        span = self._span
        # Errors only, as `use_span`: a cancellation (a BaseException) is not one.
        if isinstance(error, Exception) and kind is not None and span.is_recording():
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"{kind.__name__}: {error}"))
        span.end()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _exporter_names(environ: Mapping[str, str]) -> list[str]:
    configured = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if configured:
        return [name.strip() for name in configured.split(",") if name.strip()]
    return ["otlp"] if any(environ.get(var) for var in _OTLP_ENDPOINT_VARS) else []


def _exporter(name: str) -> SpanExporter | None:
    if name == "console":
        return ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        from wallet_infra.otlp_span_encoding import use_in_otlp_exporter

        use_in_otlp_exporter()  # the same request for a third of the CPU
        return OTLPSpanExporter()  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*
    if name == "none":
        return None
    raise ValueError(f"OTEL_TRACES_EXPORTER: unsupported exporter {name!r}")


def tracing_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """`OTEL_SDK_DISABLED=true`: no TracerProvider is installed (see `tracing_active`)."""
    return _truthy((os.environ if environ is None else environ).get("OTEL_SDK_DISABLED"))


def _configured_service_name(environ: Mapping[str, str]) -> str | None:
    """The name the operator gave: `OTEL_SERVICE_NAME`, else `service.name` in
    `OTEL_RESOURCE_ATTRIBUTES` (percent-decoded), as the SDK's own detector ranks them."""
    if name := environ.get(OTEL_SERVICE_NAME, "").strip():
        return name
    for item in environ.get(OTEL_RESOURCE_ATTRIBUTES, "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() == SERVICE_NAME:
            return unquote(value.strip()) or None
    return None


def configure_telemetry(
    service_name: str, *, environ: Mapping[str, str] | None = None
) -> TracerProvider | None:
    """Install this process's TracerProvider (see the module docstring); None if disabled
    or no exporter is configured."""
    environ = os.environ if environ is None else environ
    if tracing_disabled(environ):
        return None
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    exporters = [e for e in map(_exporter, _exporter_names(environ)) if e is not None]
    if not exporters:
        return None
    # Attributes given here win over the environment's in Resource.create, so the code's
    # name is only the default: two deployments of one app can report apart.
    name = _configured_service_name(environ) or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def current_traceparent() -> str:
    """The W3C traceparent of the current span; without one (tracing off, or a worker
    outside any span) the request's own trace context (`untraced_context`), so every
    event carries one.

    Formatted here, as the W3C propagator would, rather than injected through the global
    one: the value is a traceparent whatever OTEL_PROPAGATORS says (as `remote_parent`
    reads it), and the global composite adds baggage's work to every outbox row."""
    return traceparent_of(trace.get_current_span()) or untraced_traceparent()


def valid_traceparent(header: bytes | None) -> str | None:
    """A request's `traceparent` header as the W3C propagator reads it (its version-00
    form), or None when it brought none or one that is not valid."""
    if header is None:
        return None
    return traceparent_of(trace.get_current_span(remote_parent(header.decode("latin-1"))))


def tracing_active() -> bool:
    """Whether a real TracerProvider is installed (else every span is the API's no-op).
    Instrumentation is only installed when it is: the instrumentations cost CPU per
    request even when their spans are no-ops.

    Asked several times per request, so the installed provider is read where the API
    keeps it: `get_tracer_provider()` looks OTEL_PYTHON_TRACER_PROVIDER up in
    `os.environ` on every call until a provider is installed, i.e. on every call with
    tracing off. Only a process started with that variable still asks the API, which
    then loads the provider it names."""
    provider = trace._TRACER_PROVIDER
    if provider is None:
        if not _PROVIDER_FROM_ENVIRONMENT:
            return False
        provider = trace.get_tracer_provider()
    return not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


def remote_parent(traceparent: str | None) -> otel_context.Context:
    """A context whose span is the remote one `traceparent` names (empty if None/invalid).

    The W3C propagator itself rather than the global one: the value is a traceparent
    whatever OTEL_PROPAGATORS says, and the global composite adds baggage's work."""
    if traceparent is None:
        return _NO_CONTEXT
    return _W3C.extract({TRACEPARENT: traceparent}, context=_NO_CONTEXT)


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C traceparent naming `span` (what the propagator would inject), None if the
    span is invalid."""
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) of the current span as lower-case hex, or None. Asked for
    every log line: without a provider no span of ours is ever valid, so the context is
    not even read."""
    if not tracing_active():
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def instrument_engine(engine: AsyncEngine) -> None:
    """A client span per SQL statement on `engine` (and on no other engine).

    The SQLAlchemy instrumentation, not asyncpg's: it is opt-in per engine (asyncpg's
    patches the driver process-wide, tracing the relay's LISTEN connection and the test
    helpers too), and instrumenting both would double every DB span. It does nothing on
    SQLAlchemy 2.1, hence the `<2.1` pin. `SQLAlchemyInstrumentor().instrument(engine=)`
    is a once-per-process singleton, so the per-engine tracer is attached directly.

    Only its statement hooks stay: its pool hooks count every checkout and checkin into an
    OpenTelemetry metric no MeterProvider exports here (the pool's gauges are Prometheus,
    `wallet_db_pool_*`, read at scrape time), four counter updates per pooled statement.
    """
    if not tracing_active():
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.metrics import get_meter
    from sqlalchemy import event

    meter = get_meter("opentelemetry.instrumentation.sqlalchemy", __version__)
    connections = meter.create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    tracer_ = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    hooks = EngineTracer(tracer_, engine.sync_engine, connections)  # type: ignore[no-untyped-call]
    for identifier, hook in _POOL_HOOKS.items():
        event.remove(engine.sync_engine, identifier, getattr(hooks, hook))


# The pool events EngineTracer listens to, and its method for each.
_POOL_HOOKS: Final = {
    "connect": "_pool_connect",
    "close": "_pool_close",
    "checkin": "_pool_checkin",
    "checkout": "_pool_checkout",
}


def outgoing_trace_headers() -> list[tuple[bytes, bytes]]:
    """The current context as the process's propagators (`OTEL_PROPAGATORS`, W3C
    `traceparent` by default) put it on an outgoing HTTP request."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in carrier.items()]


def span_attributes(**attributes: Any) -> dict[str, Any]:
    """Attributes without the None values (OpenTelemetry refuses None)."""
    return {key: value for key, value in attributes.items() if value is not None}
