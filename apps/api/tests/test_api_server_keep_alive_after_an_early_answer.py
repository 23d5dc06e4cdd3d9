"""A request the app answered before its body arrived (a 401: no key, the body is never
read), whose body then comes, leaves an idle keep-alive connection like any other: it stays
open for the keep-alive setting (`WALLET_API_KEEP_ALIVE_S`), not the head timeout (once
closed after it and counted as an `idle_timeout` refusal: a client reusing it within its
own idle timeout, httpx's 5 s, met the race the keep-alive setting exists to avoid)."""

from __future__ import annotations

import time

import httpx
from test_api_server_limits import HEADER_TIMEOUT_S, SLACK_S, _read_response, _start

KEEP_ALIVE_S = 8  # well past the head timeout (1.5 s)
BODY = b'{"user_id": "early-answer"}'


async def test_an_idle_connection_after_an_early_answer_keeps_the_keep_alive_setting(
    database_url: str,
) -> None:
    server = await _start(database_url, WALLET_API_KEEP_ALIVE_S=str(KEEP_ALIVE_S))
    try:
        with server.connect() as sock:
            sock.settimeout(10)
            sock.sendall(
                b"POST /wallets HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(BODY)
            )
            assert _read_response(sock).startswith(b"HTTP/1.1 401 ")
            sock.sendall(BODY)  # the answered request's body, now complete: idle from here
            started = time.monotonic()
            sock.settimeout(HEADER_TIMEOUT_S + SLACK_S)
            try:
                sock.recv(65536)  # b"": the server closed it
                still_open = False
            except TimeoutError:
                still_open = True  # nothing came, no close, within the wait
            idle_s = time.monotonic() - started
            sock.settimeout(10)
            assert still_open, (
                f"the idle keep-alive connection was closed after {idle_s:.2f}s "
                f"(keep-alive {KEEP_ALIVE_S}s, head timeout {HEADER_TIMEOUT_S}s)"
            )
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n")
            assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        async with httpx.AsyncClient() as client:
            scraped = (await client.get(f"http://127.0.0.1:{server.port}/metrics")).text
        assert 'http_server_refusals_total{reason="idle_timeout"}' not in scraped
    finally:
        server.process.close()
