"""In-memory tracing for tests: a global SDK TracerProvider for a block, then none again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once


@contextmanager
def in_memory_tracing() -> Iterator[InMemorySpanExporter]:
    """A global SDK TracerProvider exporting to memory for the block, then none again
    (so later tests in this process see tracing off, as they expect). Apps built inside
    the block trace (`tracing_active`); build them after entering it."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "wallet-tests"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _set_global_provider(provider)
    try:
        yield exporter
    finally:
        _set_global_provider(None)
        provider.shutdown()


def _set_global_provider(provider: TracerProvider | None) -> None:
    # set_tracer_provider() works once per process; tests need it undone afterwards.
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None
    if provider is not None:
        trace.set_tracer_provider(provider)


def hex_trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")
