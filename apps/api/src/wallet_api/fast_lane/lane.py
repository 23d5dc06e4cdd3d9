"""A plain-ASGI lane in front of FastAPI's router for the hottest routes.

FastAPI spends on every request about as much CPU as the work of a balance read: walking
its middleware and route nodes, building a Request, solving the route's dependency tree,
validating each parameter through its model field, wrapping `send` again. For a request
to one of its routes, the lane reads the body and asks that route's `LaneHandler`, which
parses the request with the route's own pydantic model and calls the route's own endpoint
function with the same use case from the same request container. A handler answers
only a request it fully understands (a plain JSON body, the query it expects); anything
else (a body that fails validation, another content type, a repeated header) goes on to
FastAPI with the body replayed, so every validation error still has one source, the
FastAPI route and its exception handlers, and the two paths cannot answer differently.

The lane sits inside the edge middleware (request id, key, limits, deadline, access log,
problem details) and inside `RequestContainers`, as the routes do.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wallet_domain.deadline import Deadline
from wallet_domain.errors import DomainError

from wallet_api.errors.responses import error_response
from wallet_api.http.context import deadline_of
from wallet_api.middleware.request_containers import DISHKA_CONTAINER, RequestContainer


@dataclass(frozen=True, slots=True)
class LaneRequest:
    """What a handler sees: the path's parameters, the headers (lower-case names, none
    repeated), the raw query string and body, the request's containers and the deadline
    the edge started (what the `Deadline` dependency resolves to, without opening the
    request's container)."""

    path_params: dict[str, str]
    headers: dict[bytes, bytes]
    query_string: bytes
    body: bytes
    container: RequestContainer
    deadline: Deadline | None

    def header(self, name: bytes) -> str | None:
        """A header as FastAPI hands it to a route (latin-1 text), or None."""
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    def query(self) -> dict[str, str] | None:
        """The query parsed as FastAPI parses it (Starlette's QueryParams), or None if a
        name repeats (which one counts is FastAPI's to decide)."""
        params = QueryParams(self.query_string)
        items = params.multi_items()
        return dict(items) if len(params) == len(items) else None


# None: not a request this handler takes (it must not have started any work then);
# FastAPI's route answers it. A DomainError becomes the route's error response.
LaneHandler = Callable[[LaneRequest], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True)
class LaneRoute:
    """`handler` takes `method` requests to the FastAPI `route`'s path."""

    method: str
    route: Route
    handler: LaneHandler


class FastLane:
    def __init__(self, app: ASGIApp, *, routes: Sequence[LaneRoute]) -> None:
        self.app = app
        self._routes = [(lane, lane.route.path_regex) for lane in routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A mounted app (root_path) matches paths the router's way: leave it to FastAPI.
        if scope["type"] == "http" and not scope.get("root_path"):
            method, path = scope["method"], scope["path"]
            for lane, regex in self._routes:
                match = regex.match(path) if lane.method == method else None
                if match is not None:
                    await self._serve(lane, match, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self, lane: LaneRoute, match: re.Match[str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        messages, body = await _read_body(receive)
        headers = _unrepeated_headers(scope["headers"])
        response = None
        if messages[-1]["type"] == "http.request" and headers is not None:
            request = LaneRequest(
                match.groupdict(),
                headers,
                scope["query_string"],
                body,
                scope["state"][DISHKA_CONTAINER],
                deadline_of(scope),
            )
            try:
                response = await lane.handler(request)
            except DomainError as error:
                response = error_response(error)  # what the app's handler answers
        if response is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        scope["route"] = lane.route  # the route template of the HTTP metrics
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """Every message up to the body's end (or a disconnect), and the body."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, b""  # a disconnect: FastAPI's route meets it as it would
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _unrepeated_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[bytes, bytes] | None:
    """The headers by name, or None if a name repeats (FastAPI decides which one counts)."""
    headers = dict(raw)
    return headers if len(headers) == len(raw) else None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` giving `messages` again first: the body the lane read, for FastAPI."""
    pending = iter(messages)

    async def replayed() -> Message:
        return next(pending, None) or await receive()

    return replayed
