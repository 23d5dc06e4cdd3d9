"""uvicorn's httptools protocol with the limits it lacks, applied per connection.

httptools buffers a header of any size and uvicorn neither times out a request head nor
a body, so a 64 MB header was read whole and headers trickled over a minute were still
answered. This subclass enforces, before the app sees the request:

- the head (request line and headers) at most `max_header_bytes`, else 431 and close.
  The bytes of a head still incomplete after a read are counted as they arrive, so a
  huge header is cut after one read past the limit, never buffered whole; a head that
  may have crossed the limit by the time it completes (the read that began it, which may
  also hold the end of the request before it, plus the reads since) is measured exactly.
- the head received within `header_timeout_s` (for the first request, counted from the
  connection's start; later ones from their first byte), else 408 and close (a
  connection that sent nothing is just closed). Idle keep-alive connections close after
  uvicorn's `timeout_keep_alive` (the process's `*_KEEP_ALIVE_S` setting).
- the body received within `body_timeout_s` of its head, else 408 (if no response has
  started) and close; the app's `receive()` then reports a disconnect.
- at most `max_connections` open connections: a request on a connection accepted past
  the cap is answered 503 `SERVER_BUSY` (with `Retry-After`) without running the app,
  and the connection is closed. Its head is read first (under the limits above) so the
  client reliably gets the reply instead of a reset.

A request arriving whole in one read (the usual case) arms no timer and costs a few
attribute checks (measured: ~1.4 us more per request than the stock protocol's ~14.5 us,
next to the ~3 ms of CPU a payment takes); timers run only before a connection's first
request and while a head or body is incomplete.

It leans on the stock protocol's internals (`cycle`, `pipeline`, the parser callbacks),
so a uvicorn upgrade must pass apps/api/tests/test_api_server_*.py (and the ingest's
test_webhook_ingest_server_limits.py).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import Any, Final

import httptools
import structlog
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import with_request_id
from wallet_infra.http_server.metrics import REFUSED
from wallet_infra.http_server.request_id import request_id_for

# What the connection is receiving (`_phase`), and what the armed timer guards.
_NONE: Final = 0  # between requests (phase) / no timer
_HEAD: Final = 1
_BODY: Final = 2
# Request line framing that `url` and the header callbacks do not show ("GET  HTTP/1.1\r\n").
_REQUEST_LINE_OVERHEAD: Final = 16


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; `data_received` sends the reply."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not isinstance(config, LimitedConfig):
            raise TypeError("LimitedHttpToolsProtocol needs a LimitedConfig")
        super().__init__(config, server_state, app_state, _loop)
        self._limits = config.limits
        self._refusals = config.refusals
        # A refusal is a request too: it gets the access line the process writes for
        # every other one, on the same logger.
        self._access_log = structlog.get_logger(config.access_logger)
        self._phase = _NONE
        # The current head's bytes are at most: the read that began it (which may also
        # hold the end of the request before it) plus every read since, each counted as
        # it arrives.
        self._head_began_in = 0  # size of the read that began the current head
        self._head_seen = 0  # bytes of the reads since, the one being parsed included
        self._read = 0  # size of the read being parsed
        self._timer: asyncio.TimerHandle | None = None
        self._timer_guards = _NONE
        self._over_cap = False
        self._refusal: tuple[bytes, str] | None = None
        self._context = contextvars.copy_context()  # the connection's: see connection_made
        self._began = time.perf_counter()  # the request being received: its first byte
        # The request being answered (uvicorn's `cycle` is the newest one, which may be
        # queued behind it), and whether a request behind it was refused: nothing more is
        # read, and the connection closes once the requests before the refused one are
        # answered.
        self._answering: Any = None
        self._refused_behind = False
        # The request whose body is being received, if any: uvicorn's `cycle` may be an
        # earlier one answered early (say a 401 before its body came), left there.
        self._receiving: Any = None

    # --- connection -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # The connection's own context, for what it starts while a request's response
        # completes (the next pipelined request, a timer), so none runs in a copy of that
        # request's context.
        self._context = contextvars.copy_context()
        super().connection_made(transport)
        self._over_cap = len(self.connections) > self._limits.max_connections
        self._rearm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, plus the head size check after each read and the timers."""
        if self._refused_behind:  # closing once the earlier answers are out
            return
        self._unset_keepalive_if_required()
        if self._phase == _HEAD:
            self._head_seen += len(data)
        self._read = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self._cancel_timer()  # the WebSocket protocol takes the connection over
                self.handle_websocket_upgrade()
            else:  # answered as plain HTTP; the connection stays under the timers
                self._unsupported_upgrade_warning()
                self._rearm()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return
            self._refuse(self._refusals.bad_request, "bad_request")
            return
        if self._phase == _HEAD and self._head_seen > self._limits.max_header_bytes:
            self._refuse(self._refusals.headers_too_large, "headers_too_large")
            return
        self._keep_idle_timer()
        if self._due() != self._timer_guards:
            self._rearm()

    # --- parser callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._began = time.perf_counter()
        self._receiving = None
        self._phase = _HEAD
        self._head_began_in = self._read
        self._head_seen = 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._phase = _BODY
        if self._over_cap:
            self._refusal = (self._refusals.server_busy, "too_many_connections")
            raise _Refused
        limit = self._limits.max_header_bytes
        if self._head_began_in + self._head_seen > limit and self._head_size() > limit:
            self._refusal = (self._refusals.headers_too_large, "headers_too_large")
            raise _Refused
        super().on_headers_complete()
        self._receiving = self.cycle

    def on_message_complete(self) -> None:
        self._receiving = None
        self._phase = _NONE
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refused_behind:
            self.flow.pause_reading()  # uvicorn resumed it for the next request
        elif self._phase != _NONE:  # a pipelined request was started, reading resumed
            self._rearm()

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._answering = cycle
        # From the connection's own context: a pipelined request is started from inside the
        # one before it (its last send), whose context (its wallet bound for the logs) the
        # new task would otherwise copy.
        self._context.copy().run(super()._start_asgi_task, cycle, app)

    # --- limits -----------------------------------------------------------------------

    def _keep_idle_timer(self) -> None:
        """A read that began no request (the rest of a body answered early, a stray CRLF)
        leaves the connection idle: uvicorn's keep-alive timer, which the read cancelled,
        runs again, so it closes after `timeout_keep_alive`, not the head timeout."""
        cycle = self.cycle
        idle = self._phase == _NONE and cycle is not None and cycle.response_complete
        if idle and self.timeout_keep_alive_task is None and not self.pipeline:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def _head_size(self) -> int:
        """The head just parsed, measured (only when it may have crossed the limit)."""
        fields = sum(len(name) + len(value) + 4 for name, value in self.headers)
        return len(self.url) + _REQUEST_LINE_OVERHEAD + fields

    def _due(self) -> int:
        """The timer the connection needs now."""
        if self._phase == _NONE:
            # Awaiting a connection's first head. Between later requests uvicorn's
            # keep-alive timer guards the idle connection (see `_keep_idle_timer`), and a
            # request in flight is bounded by the app's own deadline.
            return _HEAD if self.cycle is None else _NONE
        if self.pipeline:  # reading is paused behind queued requests: nothing to time
            return _NONE
        return self._phase

    def _rearm(self) -> None:
        due = self._due()
        if due == self._timer_guards:
            return
        self._cancel_timer()
        self._timer_guards = due
        if due == _HEAD:
            self._timer = self.loop.call_later(
                self._limits.header_timeout_s, self._timed_out, context=self._context
            )
        elif due == _BODY:
            self._timer = self.loop.call_later(
                self._limits.body_timeout_s, self._timed_out, context=self._context
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_guards = _NONE

    def _timed_out(self) -> None:
        guarded = self._timer_guards
        self._timer = None
        self._timer_guards = _NONE
        if self.transport.is_closing():
            return
        if guarded == _BODY:
            # Once the app has answered (say a 401 without reading the body) there is
            # no one left to tell: the connection just closes.
            answered = self.cycle.response_complete
            self._refuse(None if answered else self._refusals.request_timeout, "body_timeout")
        elif self._phase == _HEAD:
            self._refuse(self._refusals.request_timeout, "header_timeout")
        else:  # nothing that began a request was sent
            self._refuse(None, "idle_timeout")

    def _refuse(self, reply: bytes | None, reason: str) -> None:
        """Send `reply` (unless a response already started on this connection) with a
        request id (the client's, if its headers were read and carry a sane one), and
        close. A request still being received is told its client is gone.

        Requests received whole before the refused one and not yet answered (pipelining)
        are left to be answered: written now, the refusal would be read as the answer to
        the first of them (a 400 for a payment that goes through). The refused request, if
        it was queued, is dropped; the last one before it answers with `Connection: close`,
        then the connection closes, and nothing more is read."""
        REFUSED.labels(reason).inc()
        self._cancel_timer()
        refused = self._receiving
        answering = self._answering
        if answering is not None and not answering.response_complete and answering is not refused:
            if refused is not None:
                refused.disconnected = True
                refused.message_event.set()
                self.pipeline = type(self.pipeline)(e for e in self.pipeline if e[0] is not refused)
            last = self.pipeline[0][0] if self.pipeline else answering
            last.keep_alive = False
            self._refused_behind = True
            self.flow.pause_reading()
            self._access_line(None, reason, request_id_for(self._client_request_id()))
            return
        if refused is not None:
            if refused.response_started:
                reply = None
            refused.disconnected = True
            refused.message_event.set()
        if reply is not None:
            reply, request_id = with_request_id(reply, self._client_request_id())
            self._access_line(int(reply[9:12]), reason, request_id)
            self.transport.write(reply)
        self.transport.close()

    def _access_line(self, status: int | None, reason: str, request_id: str) -> None:
        """The refused request's access line, as the process writes one for every request
        it sees: `status` None when it was dropped unanswered (pipelined behind a request
        still being answered); method and path once its head was read."""
        scope: Any = self.scope if self._phase == _BODY and self.scope is not None else {}
        self._access_log.info(
            "http_request",
            method=scope.get("method"),
            path=scope.get("path"),
            status=status,
            latency_ms=round((time.perf_counter() - self._began) * 1000, 2),
            request_id=request_id,
            refused=reason,
        )

    def _client_request_id(self) -> bytes | None:
        """The `X-Request-ID` of the request being refused, if its headers were read."""
        if self._phase != _BODY:  # the head was not read whole
            return None
        ids = (value for name, value in self.headers if name == b"x-request-id" and value)
        return next(ids, None)  # the first non-empty one, as the edge middleware takes
