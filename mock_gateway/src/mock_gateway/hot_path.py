"""`POST /payments` served straight from ASGI, without the framework.

The wallet charges through this route once per payment, and a benchmark runs the mock on
the CPU it measures, so the common request skips FastAPI's routing, dependencies and
middleware. Only a request FastAPI would take the same way comes here: a body sent as
`application/json` that parses and validates as `ChargeIn`. Anything else (422s, odd
content types, a client gone mid-body) is replayed into the FastAPI route unchanged,
which stays the reference for every edge case.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from mock_gateway import charging
from mock_gateway.bodies import ChargeIn
from mock_gateway.state import GatewayState

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_charge(scope: Scope) -> bool:
    """Whether FastAPI would route `scope` to `POST /payments`."""
    return (
        scope["type"] == "http"
        and scope["method"] == "POST"
        and scope["path"] == "/payments"
        and not scope.get("root_path")
    )


async def serve_charge(
    state: GatewayState, scope: Scope, receive: Receive, send: Send, fallback: ASGIApp
) -> None:
    """Answer a charge as the FastAPI route would, or hand it to `fallback` to do so."""
    messages, body = await _read_body(receive)
    charge = (
        _parse(body) if body and _header(scope, b"content-type") == "application/json" else None
    )
    if charge is None:
        await fallback(scope, _replay(messages, receive), send)
        return
    status, reply = await charging.attempt(state, _header(scope, b"idempotency-key"), charge)
    await _send_json(send, status, reply)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """Every message of the request body, and the body (None if the client went away)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    """The first header called `name`, as Starlette's `Headers.get` reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _parse(body: bytes) -> ChargeIn | None:
    """The charge in `body`, or None when FastAPI would refuse it (or parse it otherwise).

    orjson rejects what `json.loads` alone accepts (NaN, lone surrogates, other encodings),
    and what both accept they read alike, so a body parsed here validates as it would there.
    """
    try:
        return ChargeIn.model_validate(orjson.loads(body))
    except (orjson.JSONDecodeError, ValidationError):
        return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out the messages already read, then reads on."""
    pending = deque(messages)

    async def replaying() -> Message:
        return pending.popleft() if pending else await receive()

    return replaying


async def _send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    """What Starlette's `JSONResponse(content, status)` sends, byte for byte."""
    body = orjson.dumps(content)
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
