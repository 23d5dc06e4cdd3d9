"""SafeAiohttpTransport against real sockets on 127.0.0.1: what each failure becomes.

Every fake gateway is an asyncio server on an ephemeral port. A handler that must "hang"
waits on an event the test (or the teardown) sets: no test sleeps.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any
from uuid import UUID, uuid4

import aiohttp
import httpx
import pytest
import stamina
from aiohttp.client_reqrep import ConnectionKey
from structlog.testing import capture_logs
from wallet_domain.deadline import Deadline
from wallet_domain.money import Money
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus
from wallet_infra.gateway import GatewaySettings, HttpxPaymentGateway, make_gateway_http_client
from wallet_infra.gateway.aiohttp_transport import (
    READ_WHOLE_BODY,
    SafeAiohttpTransport,
    _SafeResponseStream,
    to_httpx_error,
)
from wallet_infra.gateway.failures import Failure, from_transport_error

DEADLINE_S = 5.0
WAIT_S = 2.0  # ceiling for waiting on a fake server's event; never reached when all is well
# The timeouts a test expects NOT to fire, and a bound between the one it expects (a tenth
# of a second) and those: it tells them apart however slow the machine is.
LONG_S = 30.0
SOONER_THAN_ANY_OTHER_CUT_S = 10.0


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Zero backoff; attempts stay as configured (cap never lowers them)."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


# --- fake gateway ----------------------------------------------------------------------


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


async def read_request(reader: asyncio.StreamReader) -> Request:
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    method, path, _ = request_line.split(" ", 2)
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, path, headers, body)


def http_response(status: int, body: bytes, *, content_length: int | None = None) -> bytes:
    length = len(body) if content_length is None else content_length
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def answer(request: Request, status: str = "approved") -> bytes:
    payment_id = request.headers.get("idempotency-key") or request.path.rsplit("/", 1)[-1]
    return json.dumps({"payment_id": payment_id, "status": status}).encode()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "FakeGateway"], Awaitable[None]]


class FakeGateway:
    """An asyncio server counting connections and requests; `release` frees hung handlers."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.accepts = 0
        self.requests: list[Request] = []
        self.got_request = asyncio.Event()
        self.release = asyncio.Event()
        self.disconnected = asyncio.Event()  # a client closed a kept-alive connection

    async def start(self) -> FakeGateway:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def receive(self, reader: asyncio.StreamReader) -> Request:
        request = await read_request(reader)
        self.requests.append(request)
        self.got_request.set()
        return request

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.append(task)
        self.accepts += 1
        try:
            await self._handler(reader, writer, self)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        self.release.set()
        assert self._server is not None
        self._server.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()


async def serve_json(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    """A well-behaved gateway: approves, keeps the connection alive, notes the client leaving."""
    while True:
        try:
            request = await gw.receive(reader)
        except asyncio.IncompleteReadError:
            gw.disconnected.set()
            return
        writer.write(http_response(200, answer(request)))
        await writer.drain()


async def serve_500(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    while True:
        await gw.receive(reader)
        writer.write(http_response(500, b'{"error": "boom"}'))
        await writer.drain()


async def never_answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    """Accepts and reads the request (the gateway may act on it), then says nothing."""
    await gw.receive(reader)
    await gw.release.wait()


async def close_after_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    await gw.receive(reader)  # FIN, no answer: the finally of _on_connect closes


async def reset_after_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    await gw.receive(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # RST


async def cut_mid_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    """The headers promise 100 bytes, 10 are sent, then the connection closes."""
    request = await gw.receive(reader)
    writer.write(http_response(200, answer(request)[:10], content_length=100))
    await writer.drain()


async def stall_mid_body(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    """As cut_mid_body, but the rest of the body never comes: the connection closes only
    on `release`, so a test holding it knows the client had the headers first."""
    await cut_mid_body(reader, writer, gw)
    await gw.release.wait()


async def answer_on_release(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gw: FakeGateway
) -> None:
    request = await gw.receive(reader)
    await gw.release.wait()
    writer.write(http_response(200, answer(request)))
    await writer.drain()


@pytest.fixture
async def fake() -> AsyncIterator[Callable[[Handler], Awaitable[FakeGateway]]]:
    started: list[FakeGateway] = []

    async def start(handler: Handler) -> FakeGateway:
        gw = await FakeGateway(handler).start()
        started.append(gw)
        return gw

    yield start
    for gw in started:
        await gw.stop()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens: connection refused


# --- the client under test -------------------------------------------------------------


class Client:
    """make_gateway_http_client + HttpxPaymentGateway, as the API wires them."""

    def __init__(self, url: str, **settings: Any) -> None:
        defaults: dict[str, Any] = {
            "connect_timeout_s": 0.5,
            "attempt_timeout_s": 0.2,
            "backoff_jitter_s": 0,
        }
        self.settings = GatewaySettings(url=url, **(defaults | settings))
        self.http = make_gateway_http_client(self.settings)
        self.adapter = HttpxPaymentGateway(client=self.http, settings=self.settings)

    @property
    def transport(self) -> SafeAiohttpTransport:
        transport = self.http._transport
        assert isinstance(transport, SafeAiohttpTransport)
        return transport

    async def charge(self) -> tuple[ChargeStatus, list[MutableMapping[str, Any]]]:
        with capture_logs() as logs:
            status = await self.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))
        return status, [e for e in logs if e["event"] == "gateway_attempt"]

    async def charge_outcomes(self) -> tuple[ChargeStatus, list[tuple[str, str]]]:
        """A charge's status and each attempt's (outcome, detail), as logged."""
        status, attempts = await self.charge()
        return status, [(a["outcome"], a["detail"]) for a in attempts]

    async def post_fails(self, error: type[httpx.HTTPError], cause: type[Exception]) -> None:
        """A POST of BODY raises `error`, translated from the aiohttp `cause`."""
        with pytest.raises(error) as raised:
            await self.http.post("/payments", json=BODY)
        assert isinstance(raised.value.__cause__, cause)


@pytest.fixture
async def client() -> AsyncIterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(url: str, **settings: Any) -> Client:
        made.append(Client(url, **settings))
        return made[-1]

    yield make
    for c in made:
        await c.http.aclose()


def charge_request() -> ChargeRequest:
    return ChargeRequest(
        payment_id=uuid4(),
        user_id="alice",
        money=Money(1250, "USD"),
        provider_id=UUID("0193a5c0-0000-7000-8000-000000000001"),
        external_reference="bill-42",
    )


BODY = {"payment_id": "p-1", "amount": 1250}


# --- never reached the gateway: FAILED ---------------------------------------------------


async def test_refused_is_connect_error_and_charge_is_failed(client: Callable[..., Client]) -> None:
    c = client(closed_port_url())

    await c.post_fails(httpx.ConnectError, aiohttp.ClientConnectorError)

    assert await c.charge_outcomes() == (ChargeStatus.FAILED, [("not_sent", "ConnectError")] * 3)


async def test_pool_wait_timeout_is_connect_timeout_not_sent(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(answer_on_release)
    c = client(gw.url, max_connections=1, attempt_timeout_s=WAIT_S)
    first = asyncio.create_task(c.http.post("/payments", json=BODY))
    await asyncio.wait_for(gw.got_request.wait(), WAIT_S)

    started = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout) as raised:  # the only connection is busy
        await c.http.post("/payments", json=BODY, timeout=httpx.Timeout(LONG_S, pool=0.1))
    # The per-request pool timeout, not the request's other timeouts nor the client's.
    assert time.monotonic() - started < SOONER_THAN_ANY_OTHER_CUT_S
    assert isinstance(raised.value.__cause__, aiohttp.ConnectionTimeoutError)
    assert from_transport_error(raised.value).failure is Failure.NOT_SENT
    assert gw.accepts == 1

    gw.release.set()
    assert (await first).status_code == 200


# --- may have reached the gateway: UNKNOWN ------------------------------------------------


@pytest.mark.parametrize(
    "handler", [never_answer, stall_mid_body], ids=["no-headers", "body-stalled"]
)
async def test_no_answer_is_read_timeout_and_charge_is_unknown(
    fake: Callable[[Handler], Awaitable[FakeGateway]],
    client: Callable[..., Client],
    handler: Handler,
) -> None:
    gw = await fake(handler)
    c = client(gw.url)

    await c.post_fails(httpx.ReadTimeout, aiohttp.SocketTimeoutError)

    assert await c.charge_outcomes() == (ChargeStatus.UNKNOWN, [("ambiguous", "ReadTimeout")] * 3)


async def test_per_request_read_timeout_is_honoured(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(never_answer)
    c = client(gw.url, attempt_timeout_s=LONG_S)  # the client-wide read timeout

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await c.http.post("/payments", json=BODY, timeout=httpx.Timeout(LONG_S, read=0.1))
    assert time.monotonic() - started < SOONER_THAN_ANY_OTHER_CUT_S


@pytest.mark.parametrize(
    ("handler", "cause"),
    [
        (close_after_request, aiohttp.ServerDisconnectedError),
        (reset_after_request, aiohttp.ClientOSError),
        (cut_mid_body, aiohttp.ClientPayloadError),
    ],
    ids=["closed-after-request", "reset-after-request", "closed-mid-body"],
)
async def test_cut_after_sending_is_read_error_and_charge_is_unknown(
    fake: Callable[[Handler], Awaitable[FakeGateway]],
    client: Callable[..., Client],
    handler: Handler,
    cause: type[Exception],
) -> None:
    gw = await fake(handler)
    c = client(gw.url)

    await c.post_fails(httpx.ReadError, cause)
    assert json.loads(gw.requests[0].body) == BODY  # the request got there: it may have charged

    assert await c.charge_outcomes() == (ChargeStatus.UNKNOWN, [("ambiguous", "ReadError")] * 3)


async def test_body_stream_cut_is_read_error(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(stall_mid_body)
    c = client(gw.url)

    async with c.http.stream("POST", "/payments", json=BODY) as response:
        assert response.status_code == 200  # the headers are in: what fails now is the body
        gw.release.set()
        with pytest.raises(httpx.ReadError) as raised:
            await response.aread()
    assert isinstance(raised.value.__cause__, aiohttp.ClientPayloadError)


async def test_body_stream_stall_is_read_timeout(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(stall_mid_body)
    c = client(gw.url)

    async with c.http.stream("POST", "/payments", json=BODY) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.ReadTimeout) as raised:
            await response.aread()
    assert isinstance(raised.value.__cause__, aiohttp.SocketTimeoutError)


def whole_body_request(url: str) -> httpx.Request:
    """A request as the adapter sends it: its answer read whole before it is returned."""
    timeout = httpx.Timeout(0.5, read=0.1).as_dict()
    return httpx.Request(
        "POST", f"{url}/payments", json=BODY, extensions={"timeout": timeout, READ_WHOLE_BODY: True}
    )


@pytest.mark.parametrize(
    ("handler", "error", "cause"),
    [
        (cut_mid_body, httpx.ReadError, aiohttp.ClientPayloadError),
        (stall_mid_body, httpx.ReadTimeout, aiohttp.SocketTimeoutError),
    ],
    ids=["cut", "stalled"],
)
async def test_a_whole_body_request_fails_on_its_body_before_returning(
    fake: Callable[[Handler], Awaitable[FakeGateway]],
    client: Callable[..., Client],
    handler: Handler,
    error: type[httpx.HTTPError],
    cause: type[Exception],
) -> None:
    gw = await fake(handler)
    c = client(gw.url)

    with pytest.raises(error) as raised:
        await c.transport.handle_async_request(whole_body_request(gw.url))
    assert isinstance(raised.value.__cause__, cause)


async def test_a_whole_body_response_comes_read_and_frees_its_connection(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(serve_json)
    c = client(gw.url)

    first = await c.transport.handle_async_request(whole_body_request(gw.url))
    second = await c.transport.handle_async_request(whole_body_request(gw.url))

    assert first.status_code == 200
    assert first.content == answer(gw.requests[0])  # no aread(): already read
    assert first.request.url.path == "/payments"
    assert second.status_code == 200
    assert gw.accepts == 1  # the first answer's connection was back in the pool


# --- answers --------------------------------------------------------------------------------


async def test_200_json_is_approved(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(serve_json)
    c = client(gw.url)

    response = await c.http.post("/payments", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 200
    assert response.json() == {"payment_id": "k-1", "status": "approved"}
    assert gw.requests[0].headers["accept"] == "application/json"
    assert json.loads(gw.requests[0].body) == BODY

    status, attempts = await c.charge()
    assert status is ChargeStatus.APPROVED
    assert len(attempts) == 1


async def test_500_is_retried_then_failed(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(serve_500)
    c = client(gw.url)

    assert await c.charge_outcomes() == (ChargeStatus.FAILED, [("server_error", "http_500")] * 3)
    assert len(gw.requests) == 3
    assert len({r.headers["idempotency-key"] for r in gw.requests}) == 1


# --- pooling and lifecycle ----------------------------------------------------------------


async def test_keep_alive_reuses_one_connection(
    fake: Callable[[Handler], Awaitable[FakeGateway]], client: Callable[..., Client]
) -> None:
    gw = await fake(serve_json)
    c = client(gw.url)

    for _ in range(2):
        assert (await c.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))) == "APPROVED"

    assert len(gw.requests) == 2
    assert gw.accepts == 1


def test_factory_needs_no_loop_and_creates_the_session_lazily() -> None:
    settings = GatewaySettings(url="http://gw.internal:9000", connect_timeout_s=0.5)
    http = make_gateway_http_client(settings)  # no running loop here
    transport = http._transport
    assert isinstance(transport, SafeAiohttpTransport)
    assert transport.session is None


async def test_session_is_pooled_as_configured_and_closed_with_the_client(
    fake: Callable[[Handler], Awaitable[FakeGateway]],
) -> None:
    gw = await fake(serve_json)
    settings = GatewaySettings(
        url=gw.url, connect_timeout_s=0.5, attempt_timeout_s=1.5, max_connections=50
    )
    http = make_gateway_http_client(settings)
    assert str(http.base_url) == gw.url
    assert http.timeout == httpx.Timeout(connect=0.5, read=1.5, write=1.5, pool=0.5)
    transport = http._transport
    assert isinstance(transport, SafeAiohttpTransport)
    assert transport.limits.max_connections == 50

    assert (await http.get("/payments/x")).status_code == 200
    session = transport.session
    assert session is not None
    connector = session.connector
    assert isinstance(connector, aiohttp.TCPConnector)
    assert connector.limit == 50
    assert not connector.force_close  # keep-alive

    await http.aclose()

    assert session.closed
    assert transport.session is None
    await asyncio.wait_for(gw.disconnected.wait(), WAIT_S)  # the pooled connection is gone
    with pytest.raises(RuntimeError):
        await http.get("/payments/x")


async def test_a_closed_transport_refuses_to_send() -> None:
    transport = SafeAiohttpTransport(limits=httpx.Limits())
    await transport.aclose()  # never used: nothing to close
    with pytest.raises(RuntimeError):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:9/"))


# --- the mapping table, exception by exception ---------------------------------------------

_KEY = ConnectionKey("gw", 443, True, True, None, None, None)


def _refused() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(_KEY, ConnectionRefusedError(111, "refused"))


def _upstream(cause: Exception) -> httpx.ConnectTimeout:
    """What httpx_aiohttp raises for any ClientConnectionError it catches."""
    exc = httpx.ConnectTimeout(str(cause))
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (_refused(), httpx.ConnectError),
        (aiohttp.ClientConnectorDNSError(_KEY, OSError(-2, "no such host")), httpx.ConnectError),
        (
            aiohttp.ClientConnectorCertificateError(_KEY, ssl.CertificateError("bad cert")),
            httpx.ConnectError,
        ),
        (aiohttp.ClientConnectorSSLError(_KEY, OSError(1, "handshake")), httpx.ConnectError),
        (aiohttp.InvalidUrlClientError("http://"), httpx.UnsupportedProtocol),
        (aiohttp.NonHttpUrlClientError("ftp://gw"), httpx.UnsupportedProtocol),
        (aiohttp.InvalidUrlRedirectClientError("http://"), httpx.ReadError),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerTimeoutError("read"), httpx.ReadTimeout),
        (aiohttp.ServerDisconnectedError(), httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.ClientConnectionResetError("closing transport"), httpx.ReadError),
        (aiohttp.ClientConnectionError("Connection lost"), httpx.ReadError),
        (aiohttp.ClientPayloadError("incomplete"), httpx.ReadError),
        (aiohttp.UploadAbortedError("body not sent"), httpx.ReadError),
        (aiohttp.ClientError("other"), httpx.ReadError),
        (RuntimeError("Session is closed"), httpx.ReadError),
        (TimeoutError(), httpx.ReadError),
        # upstream's own results, re-mapped from their cause:
        (_upstream(aiohttp.ServerDisconnectedError()), httpx.ReadError),
        (_upstream(aiohttp.ClientOSError(104, "reset")), httpx.ReadError),
        (_upstream(aiohttp.ServerTimeoutError("read")), httpx.ReadTimeout),
        (_upstream(_refused()), httpx.ConnectError),
        (httpx.ConnectError("no aiohttp cause"), httpx.ReadError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
def test_mapping(exc: Exception, expected: type[httpx.TransportError]) -> None:
    mapped = to_httpx_error(exc)

    assert type(mapped) is expected
    original = exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else exc
    assert mapped.__cause__ is original
    not_sent = expected in (httpx.ConnectTimeout, httpx.ConnectError, httpx.UnsupportedProtocol)
    verdict = from_transport_error(mapped).failure
    assert verdict is (Failure.NOT_SENT if not_sent else Failure.AMBIGUOUS)


class _BrokenBody(httpx.AsyncByteStream):
    """An upstream body stream failing the way httpx_aiohttp would (any
    ClientConnectionError → ConnectTimeout), while reading and while closing."""

    def __init__(self, cause: Exception) -> None:
        self._cause = cause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"payment_id":'
        raise _upstream(self._cause)

    async def aclose(self) -> None:
        raise _upstream(self._cause)


@pytest.mark.parametrize(
    "cause",
    [aiohttp.ServerDisconnectedError(), aiohttp.ClientOSError(104, "reset")],
    ids=lambda e: type(e).__name__,
)
async def test_body_stream_failures_are_remapped_too(cause: Exception) -> None:
    stream = _SafeResponseStream(_BrokenBody(cause))

    with pytest.raises(httpx.ReadError) as raised:
        _ = [chunk async for chunk in stream]
    assert raised.value.__cause__ is cause
    with pytest.raises(httpx.ReadError):
        await stream.aclose()
