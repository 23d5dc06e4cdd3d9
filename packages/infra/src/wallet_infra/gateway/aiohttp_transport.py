"""An httpx transport doing its I/O with aiohttp, with failure mapping safe for money.

Why: httpx's default transport (httpcore + anyio) costs far more CPU per call than aiohttp.
`httpx_aiohttp.AiohttpTransport` gives the httpx API over aiohttp, but its exception mapping
turns "may have reached the gateway" into "never connected": a `ServerDisconnectedError` or
`ClientOSError` after the request was sent matches `ClientConnectionError → ConnectTimeout`,
and `failures.from_transport_error` would then call it NOT_SENT and the payment would be
refunded although the gateway may have charged it.

`SafeAiohttpTransport` sends the request itself (with upstream's options), and every
failure, on the request path, while reading the body and while streaming it, is mapped from
the ORIGINAL aiohttp exception (the raw one, or the upstream body stream's httpx exception's
`__cause__`). Checked against aiohttp 3.14 (`client_exceptions.py`, raise sites in
`client.py`, `connector.py`, `client_proto.py`, `client_reqrep.py`, `http_writer.py`). Rows
are tried top to bottom, because of multiple inheritance (`ConnectionTimeoutError` and
`SocketTimeoutError` are both `ServerTimeoutError`s; `ClientConnectorError` is a
`ClientOSError`):

| # | original aiohttp exception (when it is raised)          | httpx               | verdict   |
|---|---------------------------------------------------------|---------------------|-----------|
| 1 | ConnectionTimeoutError: `connect` (pool wait + connect) | ConnectTimeout      | NOT_SENT  |
|   | or `sock_connect` ran out, before a byte was written    |                     |           |
| 2 | ClientConnectorError and subclasses (DNS, SSL, cert,    | ConnectError        | NOT_SENT  |
|   | proxy, unix): refused / unreachable / no such host      |                     |           |
| 3 | RedirectClientError (needs redirects: we never follow)  | ReadError           | AMBIGUOUS |
| 4 | InvalidUrlClientError, NonHttpUrlClientError: URL       | UnsupportedProtocol | NOT_SENT  |
|   | checks before connecting                                |                     |           |
| 5 | ServerTimeoutError incl. SocketTimeoutError: `sock_read`| ReadTimeout         | AMBIGUOUS |
|   | ran out waiting for the headers or the body             |                     |           |
| 6 | ServerDisconnectedError, ClientOSError,                 | ReadError           | AMBIGUOUS |
|   | ClientConnectionResetError, any other                   |                     |           |
|   | ClientConnectionError: cut after connecting             |                     |           |
| 7 | ClientPayloadError: body cut short or malformed         | ReadError           | AMBIGUOUS |
| 8 | UploadAbortedError, ClientResponseError, any other      | ReadError           | AMBIGUOUS |
|   | aiohttp ClientError                                     |                     |           |
| 9 | anything else (not an aiohttp error): unknown           | ReadError           | AMBIGUOUS |

"verdict" is what `failures.from_transport_error` makes of it (NOT_SENT → may be refunded).
When in doubt the answer is ReadError: "may have charged" is looked up, never refunded blind.
`asyncio.CancelledError` (the adapter's own hard cap) is a BaseException and passes untouched.

Body: a request carrying the `READ_WHOLE_BODY` extension (the adapter's: it always reads
the whole answer) gets its response with the body read and the connection back in the
pool, none of the per-call stream wrappers built. Any other request (`client.stream`,
`client.post`, ...) gets upstream's body stream, wrapped so its failures map the same way.

Timeouts: httpx's per-request `request.extensions["timeout"]` is honoured as
`ClientTimeout(sock_connect=connect, sock_read=read, connect=pool)`:
`sock_connect` bounds the TCP connect plus TLS handshake, aiohttp's `connect` bounds the wait
for a pool slot plus connecting, `sock_read` is the gap allowed between reads (headers and
body), like httpx's read timeout. aiohttp has no write timeout: httpx's `write` is not
enforced here (a small request body goes straight into the socket buffer), the adapter's
hard per-attempt cap bounds the whole exchange anyway. No `total` timeout is set.

Pooling: one `ClientSession` + `TCPConnector`, created lazily by the first request (inside
the running loop), with `limit = limits.max_connections` (None → unlimited) and keep-alive on
(`keepalive_timeout = limits.keepalive_expiry`). aiohttp has no cap on idle connections
separate from `limit`, so `max_keepalive_connections` is not enforced. `aclose()` (called
by `httpx.AsyncClient.aclose()`) closes the session and its connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any, Final

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import AiohttpResponseStream

_CONNECT_TIMEOUT: Final = aiohttp.ConnectionTimeoutError
_CONNECT_FAILED: Final = aiohttp.ClientConnectorError
_REDIRECT: Final = aiohttp.RedirectClientError
_BAD_URL: Final = (aiohttp.InvalidUrlClientError, aiohttp.NonHttpUrlClientError)
_READ_TIMEOUT: Final = aiohttp.ServerTimeoutError  # incl. SocketTimeoutError
# A request extension: True reads the whole body before the response is returned.
READ_WHOLE_BODY: Final = "wallet_read_whole_body"


def _original(exc: BaseException) -> BaseException:
    """The aiohttp exception behind `exc`: upstream raises `httpx.X(...) from aiohttp_exc`."""
    if isinstance(exc, httpx.HTTPError) and isinstance(exc.__cause__, aiohttp.ClientError):
        return exc.__cause__
    return exc


def _httpx_class(original: BaseException) -> type[httpx.TransportError]:
    """The table in the module docstring; rows in order."""
    if isinstance(original, _CONNECT_TIMEOUT):
        return httpx.ConnectTimeout
    if isinstance(original, _CONNECT_FAILED):
        return httpx.ConnectError
    if isinstance(original, _REDIRECT):
        return httpx.ReadError
    if isinstance(original, _BAD_URL):
        return httpx.UnsupportedProtocol
    if isinstance(original, _READ_TIMEOUT):
        return httpx.ReadTimeout
    return httpx.ReadError


def to_httpx_error(exc: Exception) -> httpx.TransportError:
    """The httpx exception to raise for `exc` (an aiohttp error, upstream's httpx error
    wrapping one, or anything else); its `__cause__` is set to the original exception."""
    original = _original(exc)
    mapped = _httpx_class(original)(f"{type(original).__name__}: {original}")
    mapped.__cause__ = original
    return mapped


@lru_cache(maxsize=64)
def _client_timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts as aiohttp's (see the module docstring). Frozen, so
    shared: a call made with time to spare uses the settings' values, the same every time."""
    return aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=pool)


def _extensions(response: aiohttp.ClientResponse) -> dict[str, Any]:
    extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
    if response.reason:
        extensions["reason_phrase"] = response.reason.encode()
    return extensions


class _SafeResponseStream(httpx.AsyncByteStream):
    """The upstream body stream, with its failures re-mapped like the request's."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            raise to_httpx_error(exc) from _original(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as exc:
            raise to_httpx_error(exc) from _original(exc)


class SafeAiohttpTransport(AiohttpTransport):
    """`AiohttpTransport` with the failure mapping above and an explicitly pooled session.

    Pass it as `httpx.AsyncClient(transport=...)`; closing the client closes it.
    """

    def __init__(self, *, limits: httpx.Limits, **kwargs: Any) -> None:
        super().__init__(limits=limits, **kwargs)
        self._closed = False
        # What upstream rebuilds per request, once.
        proxy = self.proxy
        self._proxy_options: dict[str, Any] = {
            "proxy": str(proxy.url) if proxy else None,
            "proxy_auth": aiohttp.BasicAuth(*proxy.auth) if proxy and proxy.auth else None,
            "proxy_headers": proxy.headers if proxy else None,
        }

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The pooled session, or None before the first request and after `aclose()`."""
        return self.client if isinstance(self.client, aiohttp.ClientSession) else None

    def get_client(self) -> aiohttp.ClientSession:
        """Called by the first request, so inside the running loop (aiohttp binds to it)."""
        keepalive: dict[str, Any] = {}
        if self.limits.keepalive_expiry is not None:
            keepalive["keepalive_timeout"] = self.limits.keepalive_expiry
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,  # 0: no limit in aiohttp
            force_close=False,  # keep-alive
            ssl=self.ssl_context,
            local_addr=(self.local_address, 0) if self.local_address else None,
            **keepalive,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx.AsyncClient keeps the cookies
            trust_env=False,  # httpx.AsyncClient reads the environment
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the gateway transport has been closed")
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        try:
            response = await self._send(self.client, request)
        except Exception as exc:
            raise to_httpx_error(exc) from _original(exc)
        if not request.extensions.get(READ_WHOLE_BODY):
            return self._streaming(response, request)
        try:
            body = await response.read()
        except Exception as exc:
            raise to_httpx_error(exc) from _original(exc)
        finally:
            response.release()
        whole = httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=httpx.ByteStream(body),
            request=request,
            extensions=_extensions(response),
        )
        whole.read()  # decoded as httpx would (aiohttp's own decompression is off)
        return whole

    async def _send(
        self, session: aiohttp.ClientSession, request: httpx.Request
    ) -> aiohttp.ClientResponse:
        """The request on the pooled session, as upstream sends it; the headers are in."""
        data: bytes | httpx.AsyncByteStream | None
        try:
            data = request.content or None
        except httpx.RequestNotRead:
            data = request.stream  # type: ignore[assignment]
            request.headers.pop("transfer-encoding", None)  # aiohttp frames the body
        phases = request.extensions.get("timeout", {})
        timeout = _client_timeout(phases.get("connect"), phases.get("read"), phases.get("pool"))
        return await session.request(
            request.method,
            str(request.url),
            headers=request.headers,
            data=data,
            allow_redirects=False,
            auto_decompress=False,  # httpx decodes, from the response headers
            compress=False,
            timeout=timeout,
            server_hostname=request.extensions.get("sni_hostname"),
            **self._proxy_options,
        )

    @staticmethod
    def _streaming(response: aiohttp.ClientResponse, request: httpx.Request) -> httpx.Response:
        """The body left to the caller to stream (and close), its failures re-mapped."""
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_SafeResponseStream(AiohttpResponseStream(response)),
            request=request,
            extensions=_extensions(response),
        )

    async def aclose(self) -> None:
        self._closed = True
        session, self.client = self.session, None
        if session is not None:
            await session.close()
