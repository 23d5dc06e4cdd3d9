"""Everything a request meets before its route, in one plain ASGI middleware.

In order, for each HTTP request:

1. request id: the client's `X-Request-ID` when sane, else a new one; echoed on the
   response and bound to every log line of the request; with tracing off, the trace
   context its events carry (the client's `traceparent`, else one of its own:
   `wallet_infra.untraced_context`);
2. the deadline starts (before body parsing or pool waits);
3. the API key (failed keys throttled per client address), then the per-key rate limit
   (it refuses before any body is read or DB connection taken);
4. the body limit: a declared length over it is refused unread, a chunked body is cut;
5. the app, whose unexpected exception becomes a bare 500 envelope (the traceback goes
   to the server log only);
6. around all of it, error responses rewritten as problem details when `Accept` asks, and
   one access line plus the HTTP metrics per request, from one timing, even for a 401,
   413, 429 or 500; the line also carries the wallet the path names (`user_id`) and what
   a money-moving route adds (`http.access_fields`).

One layer instead of eight: each layer wrapped `send` (and some `receive`) again and cost
a coroutine call and a closure per request, and each scanned the headers for its own
one. Here the headers are scanned once, and `send` is wrapped once.
"""

from __future__ import annotations

import math
import time
from typing import Final

import structlog
from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wallet_domain.deadline import Deadline
from wallet_domain.errors import DomainError, ErrorCode, RateLimited
from wallet_infra.http_server.request_id import request_id_for
from wallet_infra.problem_details import wants_problem_details
from wallet_infra.telemetry import tracing_active, valid_traceparent
from wallet_infra.untraced_context import carry, release

from wallet_api.auth.principal import Principal
from wallet_api.errors.envelope import INTERNAL_ERROR_BODY
from wallet_api.errors.registry import status_for
from wallet_api.errors.responses import send_error, send_json
from wallet_api.http.access_fields import add_access_fields, collecting, stop
from wallet_api.http.context import DEADLINE, PRINCIPAL, REQUEST_ID, route_of
from wallet_api.http.rate_limiter import RateLimiter
from wallet_api.middleware.api_key import UNKEYED_PATHS, KeyCheck, wallet_in_path
from wallet_api.middleware.body_limit import LimitedReceive, too_large_body
from wallet_api.middleware.probe_paths import PROBE_PATHS
from wallet_api.middleware.problem_details import ProblemRewriter
from wallet_api.ops.http_metrics import UNMATCHED, observe

_access_log = structlog.get_logger("wallet_api.access")
_recovery_log = structlog.get_logger("wallet_api.recovery")
_REQUEST_ID: Final = b"x-request-id"
_API_KEY: Final = b"x-api-key"
_CONTENT_LENGTH: Final = b"content-length"
_ACCEPT: Final = b"accept"
_TRACEPARENT: Final = b"traceparent"


def _content_length(raw: bytes | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw)


class _Exchange:
    """The request's one `send` wrapper: remembers whether and with which status the
    response started, adds the request id header, rewrites errors as problem details if
    asked, and drops what the app sends after its body was cut."""

    __slots__ = ("_raw_id", "_rewriter", "_send", "limit", "started", "status")

    def __init__(self, send: Send, raw_id: bytes, problem_instance: str | None) -> None:
        self._send = send
        self._raw_id = raw_id
        # Not `self._tagged` kept on self when nothing is rewritten: a bound method of
        # itself is a reference cycle, which only the garbage collector frees.
        self._rewriter = (
            None if problem_instance is None else ProblemRewriter(self._tagged, problem_instance)
        )
        self.started = False
        # Counting a chunked body: once it passed the limit, the app's answer is dropped.
        self.limit: LimitedReceive | None = None
        # If the app dies before answering, the client sees a 500 or nothing.
        self.status = 500

    async def send(self, message: Message) -> None:
        if self.limit is not None and self.limit.exceeded:
            return  # the answer to a truncated body is replaced by the 413
        await self.forward(message)

    async def forward(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        if self._rewriter is None:
            await self._tagged(message)
        else:
            await self._rewriter(message)

    def close(self) -> None:
        """The request is over: let go of the rewriter, which holds `_tagged` (a cycle)."""
        self._rewriter = None

    async def _tagged(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = [*message.get("headers", ()), (_REQUEST_ID, self._raw_id)]
            message = {**message, "headers": headers}
        await self._send(message)


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: KeyCheck,
        limiter: RateLimiter | None,
        max_body_bytes: int,
        request_timeout_s: float,
    ) -> None:
        self.app = app
        self._keys = keys
        self._limiter = limiter
        self._max_body_bytes = max_body_bytes
        self._too_large = too_large_body(max_body_bytes)
        self._too_large_status = status_for(ErrorCode.PAYLOAD_TOO_LARGE)
        self._timeout_s = request_timeout_s
        # With tracing on, the server span carries the request's trace context.
        self._untraced = not tracing_active()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming_id = api_key = declared = accept = traceparent = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming_id = incoming_id or value
            elif name == _TRACEPARENT:
                traceparent = traceparent or value
            elif name == _API_KEY:
                api_key = api_key or value
            elif name == _CONTENT_LENGTH:
                declared = declared or value
            elif name == _ACCEPT and wants_problem_details(value):
                accept = value
        request_id = request_id_for(incoming_id)
        state = scope.setdefault("state", {})
        state[REQUEST_ID] = request_id
        state[DEADLINE] = Deadline.after(self._timeout_s)
        instance = scope.get("root_path", "") + scope["path"] if accept is not None else None
        exchange = _Exchange(send, request_id.encode(), instance)
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        carried = carry(valid_traceparent(traceparent)) if self._untraced else None
        fields, collected = collecting()
        try:
            try:
                await self._admitted(scope, receive, exchange, api_key, declared)
            except Exception as error:
                trace.get_current_span().record_exception(error)  # the server span's, if any
                _recovery_log.exception(
                    "unhandled_error", method=scope["method"], path=scope["path"]
                )
                if not exchange.started:
                    await send_json(exchange.send, 500, INTERNAL_ERROR_BODY)
        finally:
            elapsed = time.perf_counter() - started
            observe(scope["method"], route_of(scope) or UNMATCHED, exchange.status, elapsed)
            path = scope["path"]
            log = _access_log.debug if path in PROBE_PATHS else _access_log.info
            log(
                "http_request",
                method=scope["method"],
                path=path,
                status=exchange.status,
                latency_ms=round(elapsed * 1000, 2),
                **fields,
            )
            stop(collected)
            structlog.contextvars.reset_contextvars(**tokens)
            if carried is not None:
                release(carried)
            exchange.close()

    async def _admitted(
        self,
        scope: Scope,
        receive: Receive,
        exchange: _Exchange,
        api_key: bytes | None,
        declared: bytes | None,
    ) -> None:
        """Key, rate limit and body limit, then the app (in the wallet's log context)."""
        if scope["path"] in UNKEYED_PATHS:
            await self._limited(scope, receive, exchange, declared)
            return
        verdict = self._keys.check(scope, None if api_key is None else api_key.decode("latin-1"))
        if isinstance(verdict, DomainError):
            await send_error(exchange.send, verdict)
            return
        refusal = self._rate_limited(verdict)
        if refusal is not None:
            await send_error(exchange.send, refusal)
            return
        scope["state"][PRINCIPAL] = verdict
        wallet = wallet_in_path(scope["path"])
        if wallet is None:
            await self._limited(scope, receive, exchange, declared)
            return
        add_access_fields(user_id=wallet)
        tokens = structlog.contextvars.bind_contextvars(user_id=wallet)
        try:
            await self._limited(scope, receive, exchange, declared)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    def _rate_limited(self, principal: Principal) -> RateLimited | None:
        if self._limiter is None:
            return None
        wait_s = self._limiter.wait_s(principal.key_id)
        return RateLimited(retry_after_s=max(1, math.ceil(wait_s))) if wait_s > 0 else None

    async def _limited(
        self, scope: Scope, receive: Receive, exchange: _Exchange, declared: bytes | None
    ) -> None:
        """The app behind the body limit."""
        length = _content_length(declared)
        if length is not None:
            if length > self._max_body_bytes:
                await send_json(exchange.send, self._too_large_status, self._too_large)
                return
            await self.app(scope, receive, exchange.send)
            return
        limited = exchange.limit = LimitedReceive(receive, self._max_body_bytes)
        try:
            await self.app(scope, limited, exchange.send)
        except Exception:
            if not limited.exceeded:
                raise
        if limited.exceeded and not exchange.started:
            await send_json(exchange.forward, self._too_large_status, self._too_large)
