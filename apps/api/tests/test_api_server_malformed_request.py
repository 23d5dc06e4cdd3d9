"""A request the HTTP parser cannot read is answered in the API's error envelope (400
VALIDATION_ERROR, the connection closed), as the server's other refusals before the app
(408, 431, SERVER_BUSY) are, and each of those replies carries a request id."""

from __future__ import annotations

import json

import pytest
from test_api_server_limits import (  # noqa: F401  (server: the fixture)
    MAX_HEADER_BYTES,
    Server,
    _one_request,
    _request,
    server,
)


@pytest.mark.parametrize(
    "payload",
    [
        # a space inside a header name
        b"GET /healthz HTTP/1.1\r\nHost: api\r\nBad Header: x\r\nConnection: close\r\n\r\n",
        # not an HTTP request line at all
        b"HELLO\r\n\r\n",
        # a chunked body whose chunk size is not hexadecimal
        b"POST /wallets HTTP/1.1\r\nHost: api\r\nX-API-Key: limits-key\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    ],
    ids=["bad-header-name", "garbage-request-line", "bad-chunk-size"],
)
def test_an_unparseable_request_is_answered_in_the_error_envelope(
    server: Server,  # noqa: F811
    payload: bytes,
) -> None:
    reply = _one_request(server, payload)
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert status == 400, reply
    assert b"content-type: application/json" in head.lower(), reply
    error = json.loads(body)["error"]
    assert error["code"] == "VALIDATION_ERROR", reply


@pytest.mark.parametrize(
    "payload",
    [
        b"GET /healthz HTTP/1.1\r\nHost: api\r\nBad Header: x\r\nConnection: close\r\n\r\n",
        _request("/healthz", b"X-Filler: " + b"a" * (2 * MAX_HEADER_BYTES)),
    ],
    ids=["400-unparseable", "431-head-too-large"],
)
def test_a_server_refusal_carries_a_request_id(server: Server, payload: bytes) -> None:  # noqa: F811
    reply = _one_request(server, payload)
    head = reply.partition(b"\r\n\r\n")[0].lower()
    assert b"\r\nx-request-id: " in head, reply
