"""A raw refusal of a request whose head was read whole (503 SERVER_BUSY) answers with the
client's own X-Request-ID, as every other response does."""

from __future__ import annotations

from contextlib import ExitStack

from test_api_server_limits import (  # noqa: F401  (server: the fixture)
    MAX_CONNECTIONS,
    Server,
    _one_request,
    _request,
    server,
)


def test_a_server_busy_refusal_echoes_the_clients_request_id(server: Server) -> None:  # noqa: F811
    with ExitStack() as stack:
        for _ in range(MAX_CONNECTIONS):
            stack.enter_context(server.connect())
        refused = _one_request(server, _request("/healthz", b"X-Request-ID: my-trace-42"))
    head = refused.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 503 "), refused
    assert b"\r\nx-request-id: my-trace-42" in head, refused
