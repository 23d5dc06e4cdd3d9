"""The HTTP server's own limits, against a real `wallet-api` process over raw sockets:
oversized heads (431), slow heads and bodies (408), idle connections, the connection cap
(503), and `/metrics` on the metrics port and the public one.

The server runs with short timeouts and a small cap so each case takes about a second;
waits are blocking reads with a deadline (the close or the reply is the event), never
guessed sleeps.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import pytest_asyncio
from wallet_testkit.metrics import parse_metrics, value
from wallet_testkit.processes import (
    ServiceProcess,
    console_script,
    environ_without,
    free_port,
    worker_pids,
)

ROOT: Final = Path(__file__).resolve().parents[3]
API_KEY: Final = "limits-key"
MAX_HEADER_BYTES: Final = 16384  # the default
HEADER_TIMEOUT_S: Final = 1.5
BODY_TIMEOUT_S: Final = 1.0
KEEP_ALIVE_S: Final = 2  # whole seconds, as the setting takes
MAX_CONNECTIONS: Final = 4
# A reply or close expected "after the timeout" must come within this much more.
SLACK_S: Final = 2.0


@dataclass(frozen=True)
class Server:
    process: ServiceProcess
    port: int
    metrics_port: int

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")


def _env(database_url: str, port: int, metrics_port: int, **extra: str) -> dict[str, str]:
    return {
        **environ_without("WALLET_", "PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY"),
        "WALLET_DATABASE_URL": database_url,
        "WALLET_API_KEYS": API_KEY,
        "WALLET_API_PORT": str(port),
        "WALLET_API_METRICS_PORT": str(metrics_port),
        "WALLET_API_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "WALLET_API_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "WALLET_API_KEEP_ALIVE_S": str(KEEP_ALIVE_S),
        "WALLET_API_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "WALLET_RECOVERY_ENABLED": "false",
        "WALLET_RATE_LIMIT_PER_S": "0",
        "WALLET_LOG_LEVEL": "warning",
        **extra,
    }


async def _start(database_url: str, **extra: str) -> Server:
    port, metrics_port = free_port(), free_port()
    process = ServiceProcess(
        "wallet-api",
        console_script("wallet-api", "wallet_api"),
        _env(database_url, port, metrics_port, **extra),
        port=port,
        cwd=ROOT,
        new_session=True,
    )
    try:
        await process.wait_healthy()
    except BaseException:
        process.kill()
        raise
    return Server(process, port, metrics_port)


@pytest_asyncio.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[Server]:
    started = await _start(database_url)
    try:
        yield started
    finally:
        started.process.close()


def _request(
    path: str = "/healthz", *headers: bytes, method: bytes = b"GET", close: bool = True
) -> bytes:
    """A request head; `close`: ask the server to close after its reply, which then ends
    at the close (else the connection stays open for the next request)."""
    lines = [method + b" " + path.encode() + b" HTTP/1.1", b"Host: api", *headers]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _read_reply(sock: socket.socket, *, timeout_s: float) -> bytes:
    """Everything the server sends until it closes the connection (or `timeout_s`)."""
    sock.settimeout(timeout_s)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def _status_and_body(reply: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def _error_code(reply: bytes) -> tuple[int, str]:
    status, body = _status_and_body(reply)
    error = body["error"]
    assert isinstance(error, dict)
    return status, str(error["code"])


def _one_request(server: Server, payload: bytes) -> bytes:
    """Send `payload`, read its reply up to the close."""
    with server.connect() as sock:
        sock.sendall(payload)
        return _read_reply(sock, timeout_s=10)


# --- request head size ------------------------------------------------------------------


def test_a_head_just_under_the_limit_is_served(server: Server) -> None:
    filler = b"X-Filler: " + b"a" * (MAX_HEADER_BYTES - 200)
    reply = _one_request(server, _request("/healthz", filler))
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]


def test_an_oversized_head_is_431_before_the_app(server: Server) -> None:
    filler = b"X-Filler: " + b"a" * (2 * MAX_HEADER_BYTES)
    reply = _one_request(server, _request("/providers", filler))  # no key: the app would 401
    assert _error_code(reply) == (431, "HEADERS_TOO_LARGE")
    assert b"connection: close" in reply.lower()


def test_an_oversized_request_line_is_431(server: Server) -> None:
    reply = _one_request(server, _request("/healthz?q=" + "a" * (2 * MAX_HEADER_BYTES)))
    assert _error_code(reply) == (431, "HEADERS_TOO_LARGE")


def test_an_upgrade_request_is_answered_as_plain_http(server: Server) -> None:
    """No WebSocket protocol takes the connection away from the limits."""
    with server.connect() as sock:
        sock.sendall(
            _request("/healthz", b"Connection: Upgrade", b"Upgrade: websocket", close=False)
        )
        reply = _read_response(sock)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]


def test_many_small_headers_count_together(server: Server) -> None:
    headers = [b"X-H%d: %s" % (n, b"b" * 90) for n in range(MAX_HEADER_BYTES // 100 + 10)]
    reply = _one_request(server, _request("/healthz", *headers))
    assert _error_code(reply) == (431, "HEADERS_TOO_LARGE")


def test_a_huge_header_is_cut_without_being_read_into_memory(server: Server) -> None:
    """64 MB of one header, as fast as the client can send: the server closes after about
    the limit, so the send fails early, and its memory does not grow with the header."""
    rss_before = server.rss_bytes()
    total = 64 * 1024 * 1024
    chunk = b"a" * 65536
    sent = 0
    started = time.monotonic()
    stopped: OSError | None = None
    with server.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Huge: ")
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(chunk)
        except (ConnectionResetError, BrokenPipeError) as error:  # the server stopped reading
            stopped = error
    assert stopped is not None, "the whole header was accepted"
    elapsed = time.monotonic() - started
    growth = server.rss_bytes() - rss_before
    assert sent < total // 4, f"the server kept reading: {sent} bytes accepted"
    assert growth < 16 * 1024 * 1024, f"the server's memory grew by {growth} bytes"
    assert elapsed < 5, f"took {elapsed:.1f}s"


# --- timeouts -----------------------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(
    server: Server,
) -> None:
    with server.connect() as sock:
        started = time.monotonic()
        reply = _read_reply(sock, timeout_s=HEADER_TIMEOUT_S + SLACK_S)
        elapsed = time.monotonic() - started
    assert reply == b""
    assert HEADER_TIMEOUT_S - 0.1 <= elapsed < HEADER_TIMEOUT_S + SLACK_S


def test_headers_trickled_slowly_are_cut_with_408(server: Server) -> None:
    """A byte every 100 ms keeps the connection busy but never finishes the head."""
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: api\r\nX-Slow: ")
        sock.settimeout(0.1)
        reply = b""
        while time.monotonic() - started < HEADER_TIMEOUT_S + SLACK_S:
            try:
                sock.sendall(b"a")
                reply = sock.recv(65536)
                break  # the reply, or b"" for a close
            except TimeoutError:
                continue
            except OSError:
                break
        reply += _read_reply(sock, timeout_s=SLACK_S)
        elapsed = time.monotonic() - started
    assert _error_code(reply) == (408, "REQUEST_TIMEOUT")
    assert HEADER_TIMEOUT_S - 0.1 <= elapsed < HEADER_TIMEOUT_S + SLACK_S


def test_a_head_sent_in_pieces_within_the_timeout_is_served(server: Server) -> None:
    payload = _request("/healthz")
    with server.connect() as sock:
        for piece in (payload[:5], payload[5:20], payload[20:]):
            sock.sendall(piece)
        reply = _read_reply(sock, timeout_s=10)
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]


def test_a_slow_body_is_cut_with_408(server: Server) -> None:
    body = json.dumps({"user_id": f"slow-{time.time_ns()}"}).encode()
    head = _request(
        "/wallets",
        b"X-API-Key: " + API_KEY.encode(),
        b"Content-Type: application/json",
        b"Content-Length: %d" % len(body),
        method=b"POST",
    )
    with server.connect() as sock:
        started = time.monotonic()
        sock.sendall(head + body[:3])  # the rest never comes
        reply = _read_reply(sock, timeout_s=BODY_TIMEOUT_S + SLACK_S)
        elapsed = time.monotonic() - started
    assert _error_code(reply) == (408, "REQUEST_TIMEOUT")
    assert BODY_TIMEOUT_S - 0.1 <= elapsed < BODY_TIMEOUT_S + SLACK_S


def _read_response(sock: socket.socket) -> bytes:
    """One response on a kept-alive connection: its head, then Content-Length bytes."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            v
            for k, _, v in (h.partition(b": ") for h in head.split(b"\r\n"))
            if k.lower() == b"content-length"
        )
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_an_idle_keep_alive_connection_is_closed_after_the_keep_alive_setting(
    server: Server,
) -> None:
    with server.connect() as sock:
        sock.settimeout(10)
        sock.sendall(_request("/healthz", close=False))
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        rest = _read_reply(sock, timeout_s=KEEP_ALIVE_S + SLACK_S)
        elapsed = time.monotonic() - started
    assert rest == b""
    # Idle past the header timeout: the keep-alive setting, not that one, applies.
    assert KEEP_ALIVE_S - 0.1 <= elapsed < KEEP_ALIVE_S + SLACK_S


def test_keep_alive_requests_in_a_row_are_served(server: Server) -> None:
    """Timers armed for one request (its head arrives in pieces) never cut the next."""
    with server.connect() as sock:
        sock.settimeout(10)
        for _ in range(3):
            payload = _request("/healthz", close=False)
            sock.sendall(payload[:10])
            sock.sendall(payload[10:])
            assert _read_response(sock).startswith(b"HTTP/1.1 200 ")


# --- connection cap -------------------------------------------------------------------------


def test_connections_past_the_cap_get_503_and_the_others_are_served(server: Server) -> None:
    with ExitStack() as stack:
        held = [stack.enter_context(server.connect()) for _ in range(MAX_CONNECTIONS)]
        # The server accepts in order; the first connection is within the cap.
        refused = _one_request(server, _request("/healthz"))
        status, code = _error_code(refused)
        assert (status, code) == (503, "SERVER_BUSY")
        assert b"retry-after: 1" in refused.lower()
        held[0].sendall(_request("/healthz"))
        assert _read_reply(held[0], timeout_s=10).startswith(b"HTTP/1.1 200 ")

    def served() -> bool:
        return _one_request(server, _request("/healthz")).startswith(b"HTTP/1.1 200 ")

    deadline = time.monotonic() + 5
    while not served():  # the server sees the closes within moments
        assert time.monotonic() < deadline, "still refused after the connections closed"


# --- metrics port ---------------------------------------------------------------------------


async def test_metrics_are_on_the_metrics_port_and_the_public_one_without_a_key(
    server: Server,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        public = await client.get(f"http://127.0.0.1:{server.port}/metrics")
        scraped = await client.get(f"http://127.0.0.1:{server.metrics_port}/metrics")
    for response in (public, scraped):
        assert response.status_code == 200
        samples = parse_metrics(response.text)
        assert value(samples, "http_requests_total", method="GET", route="/healthz", status=200) > 0


async def test_two_workers_enforce_the_limits_and_share_one_metrics_port(
    database_url: str,
) -> None:
    """The limits travel to each worker process, and the supervisor's metrics port
    shows the workers' samples added up."""
    started = await _start(database_url, WALLET_API_WORKERS="2")
    try:
        filler = b"X-Filler: " + b"a" * (2 * MAX_HEADER_BYTES)
        for _ in range(4):  # whichever worker accepts
            reply = _one_request(started, _request("/healthz", filler))
            assert _error_code(reply) == (431, "HEADERS_TOO_LARGE")
            assert _one_request(started, _request("/healthz")).startswith(b"HTTP/1.1 200 ")
        async with httpx.AsyncClient(timeout=10) as client:
            scraped = await client.get(f"http://127.0.0.1:{started.metrics_port}/metrics")
        samples = parse_metrics(scraped.text)
        assert value(samples, "http_server_refusals_total", reason="headers_too_large") == 4
        assert (
            value(samples, "http_requests_total", method="GET", route="/healthz", status=200) >= 4
        )
    finally:
        started.process.close()


async def test_web_concurrency_runs_two_workers_when_the_api_sets_no_count(
    database_url: str,
) -> None:
    """`WEB_CONCURRENCY=2`, the convention platforms set, and no `WALLET_API_WORKERS`: two
    workers (the API once passed its own default of 1 and so ignored it), serving, and
    stopping cleanly."""
    started = await _start(database_url, WEB_CONCURRENCY="2")
    try:
        assert len(worker_pids(started.process.pid)) == 2, started.process.log(tail=4000)
        for _ in range(4):
            assert _one_request(started, _request("/healthz")).startswith(b"HTTP/1.1 200 ")
        async with httpx.AsyncClient(timeout=10) as client:
            scraped = await client.get(f"http://127.0.0.1:{started.metrics_port}/metrics")
        samples = parse_metrics(scraped.text)
        assert (
            value(samples, "http_requests_total", method="GET", route="/healthz", status=200) >= 4
        )
    finally:
        started.process.close()
    assert started.process.stopped_gracefully(), started.process.output
