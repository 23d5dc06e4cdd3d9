"""The head size limit, read by read: a head is measured wherever its bytes arrive, in the
read that began it (after the end of an earlier request, or alone) and in the reads after.

Driven in-process (the protocol fed the reads a socket would give), so the read boundaries
are the test's, not the kernel's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from uvicorn.server import ServerState
from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import ServerLimits
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol

LIMIT = 16384


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


class _Transport(asyncio.Transport):
    """What the protocol writes, and whether it closed the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


def _connection() -> tuple[LimitedHttpToolsProtocol, _Transport]:
    limits = ServerLimits(
        max_header_bytes=LIMIT, header_timeout_s=30, body_timeout_s=30, max_connections=10
    )
    config = LimitedConfig(
        _ok,
        limits=limits,
        access_logger="test.access",
        http=LimitedHttpToolsProtocol,
        lifespan="off",
        access_log=False,
        log_config=None,
    )
    config.load()
    protocol = LimitedHttpToolsProtocol(config, ServerState(), {})
    transport = _Transport()
    protocol.connection_made(transport)
    return protocol, transport


def _head(filler: int) -> bytes:
    return b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Filler: " + b"a" * filler + b"\r\n\r\n"


async def _answered(transport: _Transport) -> bytes:
    for _ in range(100):  # the app's task: a few loop turns at most
        if transport.written:
            break
        await asyncio.sleep(0)
    return bytes(transport.written)


@pytest.mark.parametrize("tail", [10, 100, 5000], ids=["tiny-tail", "small-tail", "big-tail"])
async def test_an_oversized_head_split_over_two_reads_is_431(tail: int) -> None:
    protocol, transport = _connection()
    head = _head(2 * LIMIT)

    protocol.data_received(head[:-tail])  # most of it in the read that begins the request
    protocol.data_received(head[-tail:])

    assert (await _answered(transport)).startswith(b"HTTP/1.1 431 ")
    assert transport.closed


async def test_an_oversized_head_after_a_body_in_the_same_read_is_431() -> None:
    """The read that began the head also ended the request before it (its body)."""
    protocol, transport = _connection()
    body = b"x" * 27
    protocol.data_received(b"POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: 27\r\n\r\n")
    await _answered(transport)
    transport.written.clear()
    head = _head(2 * LIMIT)

    protocol.data_received(body + head[:-50])
    protocol.data_received(head[-50:])

    assert (await _answered(transport)).startswith(b"HTTP/1.1 431 ")


async def test_a_head_under_the_limit_after_a_large_body_in_the_same_read_is_served() -> None:
    """The bytes of the request before it are not counted as the head's."""
    protocol, transport = _connection()
    body = b"x" * (3 * LIMIT)
    protocol.data_received(
        b"POST /x HTTP/1.1\r\nHost: api\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    await _answered(transport)
    transport.written.clear()
    head = _head(LIMIT - 200)

    protocol.data_received(body + head[:-50])
    protocol.data_received(head[-50:])

    assert (await _answered(transport)).startswith(b"HTTP/1.1 200 ")
