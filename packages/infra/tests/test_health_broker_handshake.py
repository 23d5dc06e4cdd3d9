"""The API's `/readyz` broker check is a real AMQP handshake with the configured URL, not
a TCP connect: a wrong password or virtual host once read `broker: ok` (the port
answers), while every publish would fail. Against the real RabbitMQ (the session's own
virtual host); the connection is always closed, and frequent probes share one handshake.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from wallet_infra.health import broker_reachable
from wallet_testkit.amqp import with_vhost

pytestmark = pytest.mark.integration

TIMEOUT_S = 0.5
SLACK_S = 2.0


def _with_password(amqp_url: str, password: str) -> str:
    parts = urlsplit(amqp_url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port or 5672}"
    return urlunsplit(parts._replace(netloc=netloc))


def _sockets_to(port: int) -> int:
    """This process's open TCP sockets whose remote port is `port`."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and fields[9] in inodes
    return count


async def test_the_configured_url_reads_ok(amqp_url: str) -> None:
    assert await broker_reachable(amqp_url, cache_s=0)() == {"broker": "ok"}


@pytest.mark.parametrize("wrong", ["password", "vhost"])
async def test_a_wrong_password_or_vhost_reads_refused(amqp_url: str, wrong: str) -> None:
    url = (
        _with_password(amqp_url, "not-the-password")
        if wrong == "password"
        else with_vhost(amqp_url, "no-such-vhost-for-readiness")
    )
    assert await broker_reachable(url, cache_s=0)() == {"broker": "refused"}


async def test_no_connection_is_left_open_whatever_the_answer(amqp_url: str) -> None:
    port = urlsplit(amqp_url).port or 5672
    before = _sockets_to(port)
    for url in (amqp_url, _with_password(amqp_url, "wrong"), with_vhost(amqp_url, "nope")):
        for _ in range(3):
            await broker_reachable(url, cache_s=0)()
    assert _sockets_to(port) == before


@asynccontextmanager
async def _listener(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    """A TCP server on a free port running `handle` per connection."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_a_server_that_never_answers_reads_timeout_and_is_hung_up_on() -> None:
    hung_up = asyncio.get_running_loop().create_future()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(8)  # the AMQP protocol header; never an answer
        hung_up.set_result(await reader.read() == b"")
        writer.close()

    async with _listener(silent) as port:
        started = time.monotonic()
        check = broker_reachable(f"amqp://u:p@127.0.0.1:{port}/", timeout_s=TIMEOUT_S, cache_s=0)
        assert await check() == {"broker": "timeout"}
        assert time.monotonic() - started < TIMEOUT_S + SLACK_S
        assert await asyncio.wait_for(hung_up, timeout=SLACK_S)


async def test_probes_within_the_cache_time_share_one_handshake() -> None:
    accepted = 0

    async def refuse(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    async with _listener(refuse) as port:
        check = broker_reachable(f"amqp://u:p@127.0.0.1:{port}/", cache_s=60)
        results = await asyncio.gather(*(check() for _ in range(5)))
        results.append(await check())
    assert {result["broker"] for result in results} == {"unreachable"}
    assert accepted == 1
