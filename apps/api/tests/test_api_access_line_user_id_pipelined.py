"""The access line's `user_id` is the wallet the request's own path names. A request
pipelined behind another on one keep-alive connection must not carry the earlier
request's wallet: uvicorn starts the queued request's task from inside the earlier
request's task (on its last `send`), so the queued one starts with a copy of the earlier
one's logging context, user_id included; the edge only rebinds user_id for a path that
names a wallet. The same copied context reaches the server's own refusal line when the
header timer of a request after those is armed from the earlier request's `send`."""

from __future__ import annotations

import orjson
import pytest
from test_api_server_limits import API_KEY, HEADER_TIMEOUT_S, _read_reply, _start


def _get(path: str, *, close: bool = False) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: api", f"X-API-Key: {API_KEY}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _access_lines(output: str) -> list[dict[str, object]]:
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "http_request"]


@pytest.mark.asyncio
async def test_a_pipelined_request_s_access_line_does_not_name_the_previous_wallet(
    database_url: str,
) -> None:
    server = await _start(database_url, WALLET_LOG_LEVEL="info", WALLET_LOG_FORMAT="json")
    try:
        with server.connect() as sock:
            # One write: A names a wallet, B (queued behind A) names none.
            sock.sendall(_get("/wallets/alice-pipelined/balance") + _get("/providers", close=True))
            reply = _read_reply(sock, timeout_s=10)
    finally:
        output = server.process.close()
    assert reply.count(b"HTTP/1.1 ") == 2, reply[:400]

    lines = {line["path"]: line for line in _access_lines(output)}
    assert lines["/wallets/alice-pipelined/balance"].get("user_id") == "alice-pipelined"
    providers = lines["/providers"]
    assert providers.get("status") == 200, providers
    assert providers.get("user_id") is None, providers.get("user_id")


@pytest.mark.asyncio
async def test_a_refused_request_s_access_line_does_not_name_an_earlier_wallet(
    database_url: str,
) -> None:
    server = await _start(database_url, WALLET_LOG_LEVEL="info", WALLET_LOG_FORMAT="json")
    try:
        with server.connect() as sock:
            # A names a wallet, B is queued behind it, C's head never completes (408).
            sock.sendall(
                _get("/wallets/bob-pipelined/balance")
                + _get("/providers")
                + b"GET /healthz HTTP/1.1\r\nHost: api\r\n"
            )
            reply = _read_reply(sock, timeout_s=HEADER_TIMEOUT_S + 8)
    finally:
        output = server.process.close()
    assert b"HTTP/1.1 408 " in reply, reply[-400:]

    [refused] = [line for line in _access_lines(output) if line.get("refused")]
    assert refused["refused"] == "header_timeout", refused
    assert refused.get("user_id") is None, refused.get("user_id")
