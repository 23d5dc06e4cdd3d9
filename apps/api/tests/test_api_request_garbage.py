"""A request leaves no reference cycles behind: everything it made is freed when it ends,
by reference counting, not at the garbage collector's next pass.

Each cycle per request made the collector run every few dozen requests, walking every
request in flight each time (a payment's CPU, in-process: ~3% in the collector; two
cycles were the whole of it: the edge's send wrapper holding a bound method of itself,
and the scope's state holding the request's container, which held the scope). The app is
called straight through ASGI here, as uvicorn calls it, so that no test client's own
objects are counted.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from wallet_api_testkit import PROVIDER_ID, SERVICE_KEY, Api, new_key
from wallet_testkit import garbage

_REQUESTS: dict[str, str] = {"x-api-key": SERVICE_KEY}
_PROBLEM = {**_REQUESTS, "accept": "application/problem+json"}


async def _call(
    app: Any, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> int:
    """One request into `app` with an HTTP/1.1 scope like uvicorn's; its status."""
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", b"%d" % len(body)))
    if body:
        raw_headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client never goes away
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@pytest.fixture
def collector_paused() -> Iterator[None]:
    with garbage.collector_paused():
        yield


async def test_payments_reads_replays_and_refusals_leave_no_cycles(
    api: Api, collector_paused: None
) -> None:
    user_id = await api.funded_wallet(1_000)
    payment = orjson.dumps(
        {"provider_id": PROVIDER_ID, "external_reference": "bill", "amount": 1, "currency": "USD"}
    )
    deposit = orjson.dumps({"amount": 100, "currency": "USD"})
    replayed = {**_REQUESTS, "idempotency-key": new_key()}

    def requests() -> list[tuple[str, str, dict[str, str], bytes, int]]:
        paid = {**_REQUESTS, "idempotency-key": new_key()}
        return [
            ("POST", f"/wallets/{user_id}/payments", paid, payment, 201),  # the gateway too
            ("GET", f"/wallets/{user_id}/balance", _REQUESTS, b"", 200),
            ("GET", f"/wallets/{user_id}/transactions", _REQUESTS, b"", 200),
            ("POST", f"/wallets/{user_id}/deposits", replayed, deposit, 201),  # then replays
            ("GET", "/wallets/u-nobody/balance", _PROBLEM, b"", 404),  # rewritten as a problem
            ("GET", f"/wallets/{user_id}/balance", {"x-api-key": "wrong"}, b"", 401),
        ]

    # First uses fill caches (routes, prepared statements, loggers): objects kept, not
    # garbage, but made before the slate is cleaned.
    for method, path, headers, body, status in requests():
        assert await _call(api.app, method, path, headers, body) == status
    garbage.cyclic_garbage()

    for _ in range(5):
        for method, path, headers, body, status in requests():
            assert await _call(api.app, method, path, headers, body) == status

    assert garbage.cyclic_garbage() == collections.Counter()
