"""Our own spans for about half the OpenTelemetry SDK span's CPU, exported the same.

`telemetry.tracer()` is a `LeanTracer` over the SDK's Tracer. It starts a span the way
the SDK's `Tracer.start_span` does, with the SDK's own parts: the configured sampler
(`OTEL_TRACES_SAMPLER`), the id generator, the span processors (so the BatchSpanProcessor
and the exporters are the SDK's), the resource and the span limits. What it leaves out
is the SDK span's bookkeeping that buys nothing for a span like ours: two locked
containers built per span (attributes and events, each with its lock), the attribute
cleaning of values that are already plain `str`/`bool`/`int`/`float`, and the copy of
the whole span into a second `ReadableSpan` when it ends (a `LeanSpan` is itself the
`ReadableSpan` the processors get; it takes no change once ended). What tracing adds to
a payment's CPU fell from 46% to 26% with it (in-process, paired slices; see
docs/performance.md).

Exactly the SDK's result, or the SDK itself:
- An attribute value that is not one of those four types, an empty or non-`str` key, or
  more attributes than `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`: the span's attributes become
  the SDK's `BoundedAttributes` from then on (cleaning, dropping, counting as it does).
- Events and links are the SDK's bounded containers, made on the first one.
- A span with links at its start, a string length limit configured
  (`OTEL_[SPAN_]ATTRIBUTE_VALUE_LENGTH_LIMIT`), the SDK's internal metrics on, or a
  tracer the configurator disabled: the SDK's `Tracer.start_span` makes the span.
- A re-set attribute moves to the end, status and exception events follow the SDK's
  rules, and a change to an ended span is ignored with the SDK's warning.
`test_lean_spans.py` holds it to that: the same scenarios through both tracers must
encode to the same OTLP bytes. It reads a few of the SDK's private names (the tracer's
limits, scope and config, the processors' `_on_ending`); `uv.lock` pins the SDK and that
test fails first on an upgrade that moves them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from time import time_ns
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import EventBase
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

# The SDK's logger, for the SDK's warnings.
_logger = logging.getLogger(SdkSpan.__module__)

# Stored as given: the SDK's cleaning returns these unchanged.
_PLAIN: Final = frozenset({str, bool, int, float})
_UNSET: Final = Status(StatusCode.UNSET)
_FLAGS: Final = {
    (sampled, random): TraceFlags(
        (TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
        | (TraceFlags.RANDOM_TRACE_ID if random else 0)
    )
    for sampled in (False, True)
    for random in (False, True)
}


class LeanTracer(trace_api.Tracer):
    """The SDK tracer's spans as `LeanSpan`s (see the module docstring)."""

    def __init__(self, sdk: SdkTracer) -> None:
        self._sdk = sdk
        self._sampler = sdk.sampler
        self._ids = sdk.id_generator
        self.processor = sdk.span_processor
        self.scope = sdk._instrumentation_scope
        self.info = sdk.instrumentation_info
        self.limits = sdk._span_limits
        # The SDK truncates strings (a length limit) and counts spans (internal metrics)
        # on paths this tracer does not take; with either, the SDK makes every span.
        self._lean = self.limits.max_span_attribute_length is None and isinstance(
            sdk._tracer_metrics, NoOpTracerMetrics
        )

    @property
    def resource(self) -> Resource:
        return self._sdk.resource  # read per span, as the SDK does: it can be replaced

    def start_span(
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        sdk = self._sdk
        if links or not self._lean or not sdk._is_enabled():
            return sdk.start_span(
                name,
                context,
                kind,
                attributes,
                links,
                start_time,
                record_exception,
                set_status_on_exception,
            )
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = self._ids.generate_trace_id()
            random = self._ids.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random = parent.trace_flags.random_trace_id
        result = self._sampler.should_sample(context, trace_id, name, kind, attributes, ())
        decision = result.decision
        sampled: bool = decision.is_sampled()  # type: ignore[no-untyped-call]
        recording: bool = decision.is_recording()  # type: ignore[no-untyped-call]
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=_FLAGS[sampled, bool(random)],
            trace_state=result.trace_state,
        )
        if not recording:
            return trace_api.NonRecordingSpan(span_context)
        span = LeanSpan(
            self,
            name,
            span_context,
            parent,
            kind,
            result.attributes,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
            start_time=time_ns() if start_time is None else start_time,
        )
        self.processor.on_start(span, parent_context=context)
        return span

    # The SDK tracer's own: it starts its span with `self.start_span` (this one) and makes
    # it current with `use_span`; also a decorator of a coroutine function.
    if TYPE_CHECKING:  # typed as the API's (the SDK's takes an SDK Tracer as self)
        start_as_current_span = trace_api.Tracer.start_as_current_span
    else:
        start_as_current_span = SdkTracer.start_as_current_span


class LeanSpan(SdkSpan):
    """A recording span that is its own `ReadableSpan` (see the module docstring): an SDK
    `Span` to a processor, whose constructor, attribute methods, event and link containers
    and end it replaces."""

    # Fields every span starts with, read from the class until one is set.
    _end_time: int | None = None
    _events: Any = ()
    _links: Any = ()
    _status = _UNSET

    def __init__(
        self,
        tracer: LeanTracer,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: Mapping[str, types.AnyValue],
        *,
        record_exception: bool,
        set_status_on_exception: bool,
        start_time: int,
    ) -> None:
        # The SDK span's fields, set here rather than through its __init__.
        self._name = name
        self._context = context
        self._kind = kind
        self._instrumentation_info = tracer.info
        self._instrumentation_scope = tracer.scope
        self._parent = parent
        self._start_time: int | None = start_time
        self._attributes: Any = {}
        self._resource = tracer.resource
        self._tracer = tracer
        self._limits = tracer.limits
        self._lock = threading.Lock()
        self._record_exception = record_exception
        self._set_status_on_exception = set_status_on_exception
        if attributes:
            self._put(attributes)

    # The attribute methods run under self._lock, or before anyone else can see the span.

    def _plain(self, mine: dict[str, Any], attributes: Mapping[str, types.AnyValue]) -> bool:
        """Whether `attributes` can join `mine` as they are: the SDK would store them
        unchanged and drop none."""
        limit = self._limits.max_span_attributes
        if limit is not None and len(mine) + len(attributes) > limit:
            return False
        for key, value in attributes.items():  # a loop: twice as fast as all() here
            if type(value) not in _PLAIN or type(key) is not str or not key:
                return False
        return True

    def _bounded(self) -> BoundedAttributes:
        """The span's attributes as the SDK keeps them, from now on."""
        mine = self._attributes
        if type(mine) is dict:
            mine = self._attributes = BoundedAttributes(
                self._limits.max_span_attributes,
                mine,
                immutable=False,
                max_value_len=self._limits.max_span_attribute_length,
            )
        return mine  # type: ignore[no-any-return]

    def _put(self, attributes: Mapping[str, types.AnyValue]) -> None:
        mine = self._attributes
        if type(mine) is dict and self._plain(mine, attributes):
            if mine:
                for key in attributes.keys() & mine.keys():
                    del mine[key]  # a re-set attribute moves to the end, as in the SDK
            mine.update(attributes)
        else:
            self._bounded()._set_items(attributes)

    def _ended(self, warning: str) -> bool:
        if self._end_time is None:
            return False
        _logger.warning(warning)
        return True

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        with self._lock:
            if not self._ended("Setting attribute on ended span."):
                self._put(attributes)

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        with self._lock:
            if self._ended("Setting attribute on ended span."):
                return
            mine = self._attributes
            if type(mine) is dict and self._plain(mine, {key: value}):
                mine.pop(key, None)  # a re-set attribute moves to the end, as in the SDK
                mine[key] = value
                return
            # One key is cleaned as the SDK cleans one (a key that is not a string is
            # dropped, where in a mapping it would be made one).
            self._bounded()[key] = value

    # add_event and add_link are the SDK's (their attributes bounded as it bounds them);
    # only the container is made here, on the first event or link.

    def _add_event(self, event: EventBase) -> None:
        with self._lock:
            if self._ended("Tried calling _add_event on an ended span."):
                return
            if not self._events:
                self._events = BoundedList(self._limits.max_events)
            self._events.append(event)

    def _add_link(self, link: Link) -> None:
        with self._lock:
            if self._ended("Tried calling _add_link on an ended span."):
                return
            if not self._links:
                self._links = BoundedList(self._limits.max_links)
            self._links.append(link)

    def end(self, end_time: int | None = None) -> None:
        with self._lock:
            if self._ended("Calling end() on an ended span."):
                return
            self._end_time = time_ns() if end_time is None else end_time
            if type(self._attributes) is BoundedAttributes:
                self._attributes._immutable = True
        processor = self._tracer.processor
        processor._on_ending(self)
        processor.on_end(self)  # itself: nothing changes an ended span
