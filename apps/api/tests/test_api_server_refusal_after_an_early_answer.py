"""A request the app answered before its body arrived (here 401, no key: the body is never
read) is not the request being received once that body has come (uvicorn leaves its
cycle in place, `more_body` still set). The next request on the connection refused (an
unparseable or oversized head, or a head that never finishes) still gets its refusal
written, as on a fresh connection (400 / 431 / 408, then close), not a silent close."""

from __future__ import annotations

import socket

import pytest
from test_api_server_limits import (  # noqa: F401  (server: the fixture)
    HEADER_TIMEOUT_S,
    MAX_HEADER_BYTES,
    SLACK_S,
    Server,
    _error_code,
    _read_reply,
    _read_response,
    server,
)

BODY = b'{"user_id": "early-answer"}'


def _answered_before_its_body(sock: socket.socket) -> None:
    """A POST whose head goes first; its 401 is read, then its body is sent."""
    sock.sendall(
        b"POST /wallets HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY)
    )
    assert _read_response(sock).startswith(b"HTTP/1.1 401 ")
    sock.sendall(BODY)  # the body of the answered request, now complete


BAD_HEAD = b"HELLO\r\n\r\n"
BIG_HEAD = b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Filler: " + b"a" * (2 * MAX_HEADER_BYTES)
BIG_HEAD += b"\r\n\r\n"


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (BAD_HEAD, (400, "VALIDATION_ERROR")),
        (BIG_HEAD, (431, "HEADERS_TOO_LARGE")),
        (b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Slow: a", (408, "REQUEST_TIMEOUT")),
    ],
    ids=["bad-head", "oversized-head", "slow-head"],
)
def test_a_refusal_after_a_request_answered_before_its_body_is_still_written(
    server: Server,  # noqa: F811
    second: bytes,
    expected: tuple[int, str],
) -> None:
    with server.connect() as sock:
        sock.settimeout(10)
        _answered_before_its_body(sock)
        sock.sendall(second)
        reply = _read_reply(sock, timeout_s=HEADER_TIMEOUT_S + SLACK_S)
    assert reply, "the connection was closed without the refusal"
    assert _error_code(reply) == expected
