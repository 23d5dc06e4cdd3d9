"""The trace context a request carries when this process makes no spans (tracing off).

Every event still goes out with a W3C `traceparent` (docs/events.md), so a consumer team
can follow one request's events, and a traced consumer continues the caller's trace:
- a request that brought a valid `traceparent` header keeps it for its events (their
  parent is the caller's span: this process made none);
- one that brought none gets a trace of its own, made on its first event and shared by
  all of them (the sampled flag set: a traced consumer records its spans, as it would for
  a root of its own);
- outside a request (a worker), each event gets a trace of its own.

A context variable per request, set by the API's edge; a few microseconds on the requests
that write an event, nothing on the others.
"""

from __future__ import annotations

import random
from contextvars import ContextVar, Token


class _Carried:
    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value  # the incoming traceparent, or the one made for the first event


_REQUEST: ContextVar[_Carried | None] = ContextVar("wallet_untraced_request", default=None)


def carry(incoming: str | None) -> Token[_Carried | None]:
    """Begin a request that brought the valid traceparent `incoming` (None: none, or one
    that is not valid; see `telemetry.valid_traceparent`); pass the token to `release`
    when it ends."""
    return _REQUEST.set(_Carried(incoming))


def release(token: Token[_Carried | None]) -> None:
    _REQUEST.reset(token)


def untraced_traceparent() -> str:
    """The traceparent for an event written now without a span: the request's (made on its
    first event if it brought none), or a new one outside any request."""
    carried = _REQUEST.get()
    if carried is None:
        return new_traceparent()
    if carried.value is None:
        carried.value = new_traceparent()
    return carried.value


def new_traceparent() -> str:
    """A new trace, sampled, with a random (never zero) trace id and parent id."""
    trace_id = random.getrandbits(128) or 1
    parent_id = random.getrandbits(64) or 1
    return f"00-{trace_id:032x}-{parent_id:016x}-01"
