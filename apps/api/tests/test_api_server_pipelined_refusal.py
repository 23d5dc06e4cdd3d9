"""A request the server refuses (here unparseable) pipelined behind a payment still in
flight: the refusal must not be written then, or the client reads it as its payment's
answer (a 400 "nothing happened" for a payment that went through). The payment's own
answer goes out, with `Connection: close`, and the connection closes."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from test_api_server_limits import API_KEY, _read_reply, _start
from wallet_testkit.polling import eventually
from wallet_testkit.processes import free_port


class _SlowGateway:
    """POST /payments waits until released, then approves (as the mock's happy mode)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                payment_id = self.headers["Idempotency-Key"]
                outer.arrived.set()
                outer.release.wait(15)
                self._reply(200, {"payment_id": payment_id, "status": "approved"})

            def do_GET(self) -> None:
                payment_id = self.path.rsplit("/", 1)[-1]
                self._reply(200, {"payment_id": payment_id, "status": "approved"})

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def slow_gateway() -> Iterator[_SlowGateway]:
    gateway = _SlowGateway()
    gateway.thread.start()
    try:
        yield gateway
    finally:
        gateway.release.set()
        gateway.server.shutdown()


# The second request, pipelined behind the payment: refused in its head, or with a good
# head (so queued behind the payment) and a body that is not valid HTTP.
UNPARSEABLE_HEAD = "HELLO\r\n\r\n"
BAD_CHUNKED_BODY = (
    "POST /wallets/{user}/deposits HTTP/1.1\r\nHost: api\r\nX-API-Key: {key}\r\n"
    "Idempotency-Key: dep-2\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\nzz\r\n"
)


@pytest.mark.parametrize(
    "pipelined", [UNPARSEABLE_HEAD, BAD_CHUNKED_BODY], ids=["bad-head", "bad-body"]
)
async def test_a_pipelined_bad_request_is_not_the_answer_to_a_payment_that_took_effect(
    database_url: str, slow_gateway: _SlowGateway, pipelined: str
) -> None:
    server = await _start(
        database_url,
        WALLET_GATEWAY_URL=f"http://127.0.0.1:{slow_gateway.port}",
        WALLET_GATEWAY_ATTEMPT_TIMEOUT_S="8",
        WALLET_GATEWAY_MAX_ATTEMPTS="1",
    )
    try:
        headers = {"X-API-Key": API_KEY}
        user = f"pipe-{uuid.uuid4().hex[:12]}"
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server.port}", headers=headers, timeout=20
        ) as client:
            assert (await client.post("/wallets", json={"user_id": user})).status_code == 201
            deposit = await client.post(
                f"/wallets/{user}/deposits",
                json={"amount": 1000, "currency": "USD"},
                headers={"Idempotency-Key": "dep-1"},
            )
            assert deposit.status_code == 201, deposit.text
            provider_id = (await client.get("/providers")).json()["items"][0]["id"]

            body = json.dumps(
                {
                    "provider_id": provider_id,
                    "external_reference": "bill-1",
                    "amount": 300,
                    "currency": "USD",
                }
            ).encode()
            payment = (
                f"POST /wallets/{user}/payments HTTP/1.1\r\nHost: api\r\n"
                f"X-API-Key: {API_KEY}\r\nIdempotency-Key: pay-1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            with server.connect() as sock:
                sock.sendall(payment)
                # The payment is debited and at the gateway: its response has not started.
                assert slow_gateway.arrived.wait(10)
                sock.sendall(pipelined.format(user=user, key=API_KEY).encode())

                async def refused() -> bool:
                    scraped = (await client.get("/metrics")).text
                    return 'http_server_refusals_total{reason="bad_request"} 1.0' in scraped

                await eventually(refused, timeout_s=10)
                slow_gateway.release.set()
                reply = _read_reply(sock, timeout_s=10)
    finally:
        server.process.close()

    # What the client read: its payment's own answer, then the close.
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 "), reply[:300]
    assert b"\r\nconnection: close" in head.lower(), head
    assert json.loads(body)["status"] == "APPROVED"
