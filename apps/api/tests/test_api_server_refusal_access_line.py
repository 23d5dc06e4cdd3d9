"""A request the HTTP server refuses before the app (here: one it cannot parse, 400) gets
a structured access line like every other request: status, latency_ms and the request
id it was answered with as the `request_id` field, so an operator given the X-Request-ID
of a refusal (docs/api.md: "Quote it when reporting a problem: server logs carry it")
finds it by field, as for a 401, 413 or 429."""

from __future__ import annotations

import orjson
import pytest
from test_api_server_limits import _one_request, _start


@pytest.mark.asyncio
async def test_a_server_refusal_is_an_access_line_with_its_request_id(database_url: str) -> None:
    server = await _start(database_url, WALLET_LOG_LEVEL="info", WALLET_LOG_FORMAT="json")
    try:
        reply = _one_request(
            server,
            b"GET /healthz HTTP/1.1\r\nHost: api\r\nBad Header: x\r\nConnection: close\r\n\r\n",
        )
    finally:
        output = server.process.close()
    head = reply.partition(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 400"), reply
    request_id = next(
        line.split(":", 1)[1].strip()
        for line in head.split("\r\n")
        if line.lower().startswith("x-request-id:")
    )
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert mine, [line for line in lines if request_id in str(line)]
    access = mine[0]
    assert access.get("status") == 400, access
    assert "latency_ms" in access, access
