"""The ingest is the platform's other public HTTP endpoint (the provider posts to it, no
key): like the API, its server must not buffer a request head of any size, nor keep a
connection whose head never completes. It runs the API's server (`wallet_infra.http_server`)
with its own limits: 431 past `WALLET_WEBHOOK_INGEST_MAX_HEADER_BYTES`, 408 past
`WALLET_WEBHOOK_INGEST_HEADER_TIMEOUT_S` or `_BODY_TIMEOUT_S`, each counted in
`http_server_refusals_total`. (Stock uvicorn + httptools, which it ran before, has neither
limit.) A refusal is routine: it never shows up as an error of the app behind.

A real `wallet-webhook-ingest` process, on this module's private virtual host, over raw
sockets; waits are blocking reads with a deadline (the reply or the close is the event).
"""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest_asyncio
from ingest_testkit import ingest_process
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.metrics import parse_metrics, value
from wallet_testkit.processes import ServiceProcess, free_port

HEADER_TIMEOUT_S: Final = 1.5  # short, so the slow head case takes seconds, not the default 5
BODY_TIMEOUT_S: Final = 1.0
# A reply or close expected "after the timeout" must come within this much more.
SLACK_S: Final = 3.0
HUGE_HEADER_BYTES: Final = 64 * 1024 * 1024
REFUSALS: Final = "http_server_refusals_total"


@dataclass(frozen=True)
class Ingest:
    process: ServiceProcess
    port: int
    metrics_port: int

    def refusals(self, reason: str) -> float:
        scraped = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5)
        return value(parse_metrics(scraped.text), REFUSALS, reason=reason)


@pytest_asyncio.fixture(loop_scope="session")
async def ingest(vhost: RabbitVhost) -> AsyncIterator[Ingest]:
    port, metrics_port = free_port(), free_port()
    process = ingest_process(
        vhost.url,
        port,
        metrics_port,
        WALLET_WEBHOOK_INGEST_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        WALLET_WEBHOOK_INGEST_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S),
    )
    try:
        await process.wait_healthy()
        yield Ingest(process, port, metrics_port)
    finally:
        process.close()


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_the_ingest_refuses_a_huge_request_head_instead_of_buffering_it(ingest: Ingest) -> None:
    before = _rss_bytes(ingest.process.pid)
    sock = socket.create_connection(("127.0.0.1", ingest.port), timeout=10)
    sent = 0
    refused = False
    try:
        sock.sendall(b"POST /webhooks/gateway HTTP/1.1\r\nHost: ingest\r\nX-Filler: ")
        chunk = b"a" * 1_048_576
        while sent < HUGE_HEADER_BYTES:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                refused = True
                break
            sent += len(chunk)
        if not refused:
            sock.settimeout(2.0)
            try:
                sock.recv(64)  # a reply (431) or the close: either way, refused
                refused = True
            except TimeoutError:
                refused = False  # still reading: it took in all that was sent
            except ConnectionResetError:
                refused = True
        grown = _rss_bytes(ingest.process.pid) - before
    finally:
        sock.close()
    assert refused, f"the ingest read {sent} bytes of one header and is still waiting for more"
    assert grown < 16 * 1024 * 1024, f"the ingest's memory grew by {grown} bytes for one head"
    assert ingest.refusals("headers_too_large") == 1


def test_the_ingest_closes_a_connection_whose_head_never_completes(ingest: Ingest) -> None:
    """A slowloris: the head is begun and never finished."""
    sock = socket.create_connection(("127.0.0.1", ingest.port), timeout=10)
    reply = b""
    try:
        sock.sendall(b"POST /webhooks/gateway HTTP/1.1\r\nHost: ingest\r\n")
        sock.settimeout(HEADER_TIMEOUT_S + SLACK_S)
        started = time.monotonic()
        try:
            while chunk := sock.recv(65536):
                reply += chunk
            closed = True
        except ConnectionResetError:
            closed = True
        except TimeoutError:
            closed = False
    finally:
        sock.close()
    waited = time.monotonic() - started
    assert closed, f"the connection with an unfinished head was still open after {waited:.1f}s"
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:64]
    assert ingest.refusals("header_timeout") == 1


def test_a_body_that_never_completes_is_a_408_not_an_error_of_the_app(ingest: Ingest) -> None:
    sock = socket.create_connection(("127.0.0.1", ingest.port), timeout=10)
    reply = b""
    try:
        sock.sendall(
            b"POST /webhooks/gateway HTTP/1.1\r\nHost: ingest\r\n"
            b"content-type: application/json\r\ncontent-length: 100\r\n\r\n{"
        )
        sock.settimeout(BODY_TIMEOUT_S + SLACK_S)
        while chunk := sock.recv(65536):
            reply += chunk
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 408 "), reply[:64]
    assert ingest.refusals("body_timeout") == 1
    # The app was told its client is gone as the 408 left; it has run again since this
    # scrape's request went through the same process.
    log = ingest.process.log()
    assert "Exception in ASGI application" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
