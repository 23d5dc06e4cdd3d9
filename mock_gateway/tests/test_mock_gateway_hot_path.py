"""`POST /payments` answers exactly as the FastAPI route does, whichever way it is served."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

import pytest
from fastapi import FastAPI
from mock_gateway.app import create_app
from mock_gateway.settings import Settings
from starlette.types import ASGIApp

Exchange = tuple[list[dict[str, Any]], str | None]
Outcome = tuple[Exchange, dict[str, int], dict[str, int]]  # what was sent, attempts, charges

CHARGE = {
    "payment_id": "p1",
    "user_id": "alice",
    "amount": 1250,
    "currency": "USD",
    "provider_id": "c0ffee00-0000-7000-8000-000000000001",
    "external_reference": "bill-1",
}
CHARGE_ID = re.compile(rb'"charge_id":"[0-9a-f-]{36}"')
JSON = [(b"content-type", b"application/json")]
KEYED = [*JSON, (b"idempotency-key", b"p1")]


def _body(**changes: object) -> bytes:
    return json.dumps({**CHARGE, **changes}).encode()


async def _exchange(
    app: ASGIApp, headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, gone: bool
) -> Exchange:
    """Drive one raw ASGI request: the messages sent back, and the error raised if any."""
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1}
        for n, chunk in enumerate(chunks)
    ]
    if gone:
        incoming[-1] = {"type": "http.disconnect"}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if "body" in message:  # compared byte for byte, but charge ids are random
            message = {**message, "body": CHARGE_ID.sub(b'"charge_id":"-"', message["body"])}
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/payments",
        "raw_path": b"/payments",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("mock", 80),
    }
    try:
        await app(scope, receive, send)
    except Exception as error:  # an error is part of what must match
        return sent, type(error).__name__
    return sent, None


async def _served_both_ways(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], *, gone: bool = False, **settings: Any
) -> tuple[Outcome, Outcome]:
    """The same request to a mock app as served, and to one served by FastAPI alone."""
    outcomes = []
    for framework_only in (False, True):
        app = create_app(Settings.model_validate({"hang_s": 0.01, **settings}))
        entry = partial(FastAPI.__call__, app) if framework_only else app
        exchange = await _exchange(entry, headers, chunks, gone=gone)
        state = app.state.gateway
        outcomes.append((exchange, dict(state.attempts), dict(state.charges)))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(
    ("headers", "chunks"),
    [
        (KEYED, [_body()]),
        (KEYED, [_body()[:20], _body()[20:]]),
        (KEYED, [_body(external_reference="mock:declined:x")]),
        (KEYED, [_body(external_reference="mock:error:x")]),
        (KEYED, [_body(external_reference="mock:timeout:x")]),
        (KEYED, [_body(amount="1250", extra=True)]),
        (KEYED, [_body(amount=12.5)]),
        (KEYED, [_body(amount=True)]),
        (KEYED, [_body(currency=None)]),
        (KEYED, [b'{"payment_id": "p1", "amount": NaN}']),
        (KEYED, [b"not json"]),
        (KEYED, [b"[]"]),
        (KEYED, [b""]),
        ([*JSON, (b"idempotency-key", b"p1")], [_body(payment_id="")]),
        (JSON, [_body()]),
        ([*JSON, (b"idempotency-key", b"")], [_body()]),
        ([*JSON, (b"idempotency-key", b"p2")], [_body()]),
        ([*JSON, (b"idempotency-key", b"p1"), (b"idempotency-key", b"p2")], [_body()]),
        ([*JSON, (b"idempotency-key", b"p2"), (b"idempotency-key", b"p1")], [_body()]),
        ([*JSON, (b"Idempotency-Key", b"p1")], [_body()]),
        ([*JSON, (b"idempotency_key", b"p1")], [_body()]),
        ([(b"idempotency-key", "pé".encode("latin-1"))], [_body(payment_id="pé")]),
        ([*JSON, (b"idempotency-key", "pé".encode("latin-1"))], [_body(payment_id="pé")]),
        ([(b"content-type", b"application/json; charset=utf-8"), *KEYED[1:]], [_body()]),
        ([(b"content-type", b"application/merge-patch+json"), *KEYED[1:]], [_body()]),
        ([(b"content-type", b"text/plain"), *KEYED[1:]], [_body()]),
        ([(b"idempotency-key", b"p1")], [_body()]),
    ],
)
async def test_every_request_is_answered_as_the_framework_would(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> None:
    fast, framework = await _served_both_ways(headers, chunks)

    assert fast == framework


async def test_a_client_gone_mid_body_is_handled_as_the_framework_would() -> None:
    fast, framework = await _served_both_ways(KEYED, [_body()[:20], b""], gone=True)

    assert fast == framework


@pytest.mark.parametrize("mode", ["happy", "declined", "error", "timeout", "charged_timeout"])
async def test_every_mode_is_answered_as_the_framework_would(mode: str) -> None:
    fast, framework = await _served_both_ways(KEYED, [_body()], mode=mode)

    assert fast == framework


async def test_a_wellformed_charge_never_reaches_the_framework(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app()

    async def refuse(*_: object) -> None:
        raise AssertionError("served by FastAPI")

    monkeypatch.setattr(FastAPI, "__call__", refuse)
    sent, error = await _exchange(app, KEYED, [_body()], gone=False)

    assert error is None
    assert sent[0]["status"] == 200
    assert app.state.gateway.charges == {"p1": 1}
