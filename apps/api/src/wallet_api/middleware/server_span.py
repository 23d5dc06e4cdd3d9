"""The HTTP server span of each request: one plain ASGI layer, outermost, only when the
process traces (`tracing_active`).

It replaces the OpenTelemetry FastAPI/ASGI instrumentation, which cost a balance read
about 0.2-0.4 ms of CPU on top of the span itself: it collected some fifteen request
attributes through its semantic-convention helpers, walked the routes to name the span,
recorded OTel metrics nobody exports (ours are Prometheus), and wrapped `send` to set
attributes on every message. Here the span is started from the request's `traceparent`
(the process's propagators, `OTEL_PROPAGATORS`), is current for the whole request (so
the DB and gateway spans, log lines and the outbox's traceparent join it), and is named
`{method} {route}` once the route is known (`{method}` for a path no route matched), with
the stable HTTP semantic-convention attributes: `http.request.method`, `url.scheme`,
`url.path`, `http.route`, `http.response.status_code`, `network.protocol.version`,
`client.address` and `user_agent.original`. A 5xx answer marks the span as an error;
the exception behind a 500 is recorded on it by the edge middleware.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wallet_infra.telemetry import tracer

from wallet_api.http.context import route_of
from wallet_api.middleware.probe_paths import PROBE_PATHS

_USER_AGENT: Final = b"user-agent"


class _HeaderGetter(Getter[Scope]):
    """The propagators' view of an ASGI scope's headers (latin-1 text, by lower-case name)."""

    def get(self, carrier: Scope, key: str) -> list[str] | None:
        name = key.lower().encode("latin-1")
        values = [v.decode("latin-1") for k, v in carrier["headers"] if k == name]
        return values or None

    def keys(self, carrier: Scope) -> list[str]:
        return [k.decode("latin-1") for k, _ in carrier["headers"]]


_GETTER: Final = _HeaderGetter()


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


class ServerSpanMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        attributes: dict[str, str] = {
            "http.request.method": method,
            "url.scheme": scope.get("scheme", "http"),
            "url.path": scope.get("root_path", "") + scope["path"],
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        client = scope.get("client")
        if client:
            attributes["client.address"] = client[0]
        agent = _header(scope["headers"], _USER_AGENT)
        if agent is not None:
            attributes["user_agent.original"] = agent
        span = tracer().start_span(
            method,
            context=propagate.extract(scope, getter=_GETTER),
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        status = 0
        failed = False

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.app(scope, receive, send_with_status)
        except BaseException as error:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            failed = True
            raise
        finally:
            otel_context.detach(token)
            route = route_of(scope)
            if route is not None:
                span.set_attribute("http.route", route)
                span.update_name(f"{method} {route}")
            if status:
                span.set_attribute("http.response.status_code", status)
                if status >= 500 and not failed:
                    span.set_status(Status(StatusCode.ERROR))
            span.end()
