"""HttpxPaymentGateway against scripted HTTP (httpx.MockTransport): no network, no waits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import stamina
import stamina.instrumentation
from structlog.testing import capture_logs
from wallet_domain.deadline import Deadline
from wallet_domain.money import Money
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, LookupStatus
from wallet_infra.gateway import BreakerState, GatewaySettings, HttpxPaymentGateway
from wallet_testkit.tracing import in_memory_tracing

Reply = httpx.Response | Exception
Script = list[Reply | Callable[[httpx.Request], Reply]]


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Zero backoff; attempts stay as configured (cap never lowers them)."""
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


class Gateway:
    """The adapter wired to a script of replies, recording what it sent."""

    def __init__(self, script: Script, **settings: Any) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.settings = GatewaySettings(backoff_jitter_s=0, **settings)
        transport = httpx.MockTransport(self._handle)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://gateway.test")
        self.adapter = HttpxPaymentGateway(client=self.client, settings=self.settings)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, Exception):
            raise reply
        if reply.status_code == 599:  # marker: hang until cancelled
            await asyncio.sleep(60)
        return reply


def charge_request(payment_id: UUID | None = None) -> ChargeRequest:
    return ChargeRequest(
        payment_id=payment_id or uuid4(),
        user_id="alice",
        money=Money(1250, "USD"),
        provider_id=UUID("0193a5c0-0000-7000-8000-000000000001"),
        external_reference="bill-42",
    )


def echo(status: str, code: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    """A reply naming the payment the request was about."""

    def reply(request: httpx.Request) -> httpx.Response:
        payment_id = request.headers.get("Idempotency-Key") or request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(code, json={"payment_id": payment_id, "status": status})

    return reply


def in_utf16(status: str) -> Callable[[httpx.Request], httpx.Response]:
    """`echo`'s answer, but not UTF-8: JSON between systems is UTF-8 (RFC 8259), and an
    answer we cannot read as such is one we do not know."""

    def reply(request: httpx.Request) -> httpx.Response:
        body = {"payment_id": request.headers["Idempotency-Key"], "status": status}
        content = json.dumps(body).encode("utf-16")
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    return reply


def connect_error(message: str = "refused") -> httpx.ConnectError:
    return httpx.ConnectError(message)


def read_timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("read timed out")


DEADLINE_S = 5.0
# A cut the test expects within a fraction of a second, against the tens of seconds any
# other would take: the bound tells them apart however slow the machine is.
SOONER_THAN_ANY_OTHER_CUT_S = 10.0


@contextmanager
def backoffs() -> Iterator[list[float]]:
    """The waits stamina schedules between attempts meanwhile (its retry hooks), in order."""
    waits: list[float] = []
    saved = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda details: waits.append(details.wait_for)])
    try:
        yield waits
    finally:
        stamina.instrumentation.set_on_retry_hooks(saved)


# --- charge ---------------------------------------------------------------------------


async def test_approved() -> None:
    gw = Gateway([echo("approved")])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "APPROVED"
    assert len(gw.requests) == 1


async def test_charge_sends_the_wire_contract() -> None:
    gw = Gateway([echo("approved")])
    request = charge_request()

    await gw.adapter.charge(request, Deadline.after(DEADLINE_S))

    sent = gw.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/payments")
    assert sent.headers["Idempotency-Key"] == str(request.payment_id)
    assert json.loads(sent.content) == {
        "payment_id": str(request.payment_id),
        "user_id": "alice",
        "amount": 1250,
        "currency": "USD",
        "provider_id": "0193a5c0-0000-7000-8000-000000000001",
        "external_reference": "bill-42",
    }


async def test_requests_carry_exactly_the_headers_the_httpx_client_would_send() -> None:
    gw = Gateway([echo("approved")])
    request = charge_request()
    key = {"Idempotency-Key": str(request.payment_id), "Content-Type": "application/json"}

    await gw.adapter.charge(request, Deadline.after(DEADLINE_S))
    await gw.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))

    charge, lookup = gw.requests
    expected = [
        gw.client.build_request("POST", "/payments", content=charge.content, headers=key),
        gw.client.build_request("GET", f"/payments/{request.payment_id}"),
    ]
    assert [(r.method, r.url, r.headers.raw) for r in (charge, lookup)] == [
        (r.method, r.url, r.headers.raw) for r in expected
    ]


async def test_declined_is_never_retried() -> None:
    gw = Gateway([echo("declined")])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "DECLINED"
    assert len(gw.requests) == 1


async def test_500_is_retried_max_attempts_times_then_failed() -> None:
    gw = Gateway([httpx.Response(500, json={"error": "boom"})], max_attempts=4)

    status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    assert status is ChargeStatus.FAILED
    assert len(gw.requests) == 4
    assert len({r.headers["Idempotency-Key"] for r in gw.requests}) == 1


async def test_500_then_200_is_approved() -> None:
    gw = Gateway([httpx.Response(500), httpx.Response(503), echo("approved")])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "APPROVED"
    assert len(gw.requests) == 3


async def test_connect_error_every_time_is_failed() -> None:
    gw = Gateway([connect_error()])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "FAILED"
    assert len(gw.requests) == 3


async def test_connect_errors_and_500s_mixed_are_failed() -> None:
    gw = Gateway([connect_error(), httpx.Response(502), httpx.ConnectTimeout("slow")])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "FAILED"


async def test_read_timeout_is_unknown() -> None:
    gw = Gateway([read_timeout()])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "UNKNOWN"
    assert len(gw.requests) == 3  # retried: the gateway's idempotency makes it safe


@pytest.mark.parametrize(
    "ambiguous",
    [
        read_timeout(),
        httpx.WriteTimeout("slow write"),
        httpx.ReadError("connection reset"),
        httpx.WriteError("broken pipe"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.Response(504),  # a timeout behind the gateway: it may have charged
    ],
    ids=lambda r: type(r).__name__ if isinstance(r, Exception) else f"http_{r.status_code}",
)
async def test_one_ambiguous_attempt_makes_exhaustion_unknown(ambiguous: Reply) -> None:
    gw = Gateway([ambiguous, httpx.Response(500), connect_error()])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "UNKNOWN"


async def test_read_timeout_then_approved_is_approved() -> None:
    gw = Gateway([read_timeout(), echo("approved")])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "APPROVED"


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(400, json={"error": "bad"}),
        httpx.Response(409, json={"error": "in flight"}),
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, json=["approved"]),
        httpx.Response(200, json={"status": "pending"}),
        httpx.Response(200, json={"payment_id": "someone-else", "status": "approved"}),
        echo("approved", code=302),
        in_utf16("approved"),
    ],
    ids=["400", "409", "html", "list", "odd-status", "other-payment", "redirect", "utf-16"],
)
async def test_unexpected_answer_is_unknown_and_not_retried(reply: Reply) -> None:
    gw = Gateway([reply])

    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "UNKNOWN"
    assert len(gw.requests) == 1


async def test_exhausted_deadline_sends_nothing_and_says_so() -> None:
    gw = Gateway([echo("approved")])

    status = await gw.adapter.charge(charge_request(), Deadline.after(0))

    assert status is ChargeStatus.NOT_SENT  # not FAILED: the gateway never failed
    assert gw.requests == []


async def test_attempt_timeouts_are_capped_by_the_deadline() -> None:
    gw = Gateway([echo("approved")], connect_timeout_s=1.0, attempt_timeout_s=2.0)

    await gw.adapter.charge(charge_request(), Deadline.after(0.3))

    timeouts = gw.requests[0].extensions["timeout"]
    assert 0 < timeouts["connect"] <= 0.3
    assert 0 < timeouts["read"] <= 0.3
    assert 0 < timeouts["write"] <= 0.3


async def test_attempt_timeouts_come_from_settings_when_time_allows() -> None:
    gw = Gateway([echo("approved")], connect_timeout_s=0.5, attempt_timeout_s=1.5)

    await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    timeouts = gw.requests[0].extensions["timeout"]
    assert (timeouts["connect"], timeouts["read"], timeouts["write"]) == (0.5, 1.5, 1.5)


async def test_a_hanging_gateway_is_cut_at_the_deadline_as_unknown() -> None:
    # Hangs for 60 s (MockTransport ignores httpx timeouts); the attempt timeout and the
    # retry budget are far longer than the deadline: only the deadline can cut it short.
    gw = Gateway([httpx.Response(599)], attempt_timeout_s=30.0, retry_budget_s=30.0)
    started = time.monotonic()

    status = await gw.adapter.charge(charge_request(), Deadline.after(0.15))

    assert status is ChargeStatus.UNKNOWN
    assert time.monotonic() - started < SOONER_THAN_ANY_OTHER_CUT_S
    assert len(gw.requests) == 1  # no time left for a second attempt


async def test_a_hanging_attempt_is_cut_at_its_own_timeout_and_retried() -> None:
    gw = Gateway(
        [httpx.Response(599), echo("approved")], connect_timeout_s=0.02, attempt_timeout_s=0.05
    )

    status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    assert status is ChargeStatus.APPROVED
    assert len(gw.requests) == 2


async def test_retry_budget_bounds_the_whole_call() -> None:
    gw = Gateway(
        [httpx.Response(599)],
        connect_timeout_s=0.02,
        attempt_timeout_s=0.2,
        retry_budget_s=0.5,
        max_attempts=10,
    )

    status = await gw.adapter.charge(charge_request(), Deadline.after(30.0))

    assert status is ChargeStatus.UNKNOWN
    # Attempts cut at 0.2 s each in a 0.5 s budget: two or three of the ten allowed (a
    # slow machine only makes it fewer), never all ten.
    assert 1 <= len(gw.requests) <= 3


async def test_real_backoff_waits_between_attempts() -> None:
    gw = Gateway(
        [httpx.Response(500), httpx.Response(500), echo("approved")],
        backoff_initial_s=0.02,
        backoff_max_s=0.03,
    )

    with stamina.set_testing(False), backoffs() as waits:
        status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    assert status is ChargeStatus.APPROVED
    assert waits == pytest.approx([0.02, 0.03])  # doubling from 0.02, capped at 0.03


async def test_the_backoff_is_waited_before_the_retry_is_sent() -> None:
    sent_at: list[float] = []

    def fail_first(request: httpx.Request) -> httpx.Response:
        sent_at.append(time.monotonic())
        return httpx.Response(500) if len(sent_at) == 1 else echo("approved")(request)

    gw = Gateway([fail_first], backoff_initial_s=0.1, backoff_max_s=0.1)

    with stamina.set_testing(False), backoffs() as waits:
        status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    assert status is ChargeStatus.APPROVED
    assert waits == pytest.approx([0.1])
    assert sent_at[1] - sent_at[0] >= 0.1


async def test_retry_hooks_see_each_retry_numbered_from_the_first_attempt() -> None:
    gw = Gateway([httpx.Response(500), httpx.Response(503), echo("approved")])
    numbers: list[int] = []
    saved = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([lambda details: numbers.append(details.retry_num)])
    try:
        await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))
    finally:
        stamina.instrumentation.set_on_retry_hooks(saved)

    assert numbers == [1, 2]  # after attempt 1 failed, then after attempt 2


async def test_stamina_testing_attempts_bound_the_first_attempt_too() -> None:
    gw = Gateway([httpx.Response(500), echo("approved")], max_attempts=3)

    with stamina.set_testing(True, attempts=1):
        status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))

    assert status is ChargeStatus.FAILED
    assert len(gw.requests) == 1


async def test_stamina_deactivated_makes_one_attempt() -> None:
    gw = Gateway([httpx.Response(500), echo("approved")], max_attempts=3)
    was_active = stamina.is_active()
    stamina.set_active(False)
    try:
        status = await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S))
    finally:
        stamina.set_active(was_active)

    assert status is ChargeStatus.FAILED
    assert len(gw.requests) == 1


async def test_no_backoff_is_started_that_would_outlive_the_deadline() -> None:
    gw = Gateway([httpx.Response(500)], backoff_initial_s=0.5, backoff_max_s=1.0)

    with stamina.set_testing(False), backoffs() as waits:
        status = await gw.adapter.charge(charge_request(), Deadline.after(0.2))

    assert status is ChargeStatus.FAILED
    assert len(gw.requests) == 1
    assert waits == []  # no wait begun: 0.5 s would end past the 0.2 s deadline


async def test_every_attempt_is_logged_a_failed_one_as_a_warning() -> None:
    gw = Gateway([httpx.Response(500), echo("approved")])
    request = charge_request()

    with capture_logs() as logs:
        await gw.adapter.charge(request, Deadline.after(DEADLINE_S))

    attempts = [e for e in logs if e["event"] == "gateway_attempt"]
    assert [(e["attempt"], e["outcome"], e["log_level"]) for e in attempts] == [
        (1, "server_error", "warning"),
        (2, "APPROVED", "debug"),  # the request's access line already tells it went through
    ]
    for entry in attempts:
        assert entry["payment_id"] == str(request.payment_id)
        assert entry["operation"] == "charge"
        assert entry["latency_ms"] >= 0


# --- lookup ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (echo("approved"), LookupStatus.APPROVED),
        (echo("declined"), LookupStatus.DECLINED),
        (httpx.Response(404, json={"status": "not_found"}), LookupStatus.NOT_CHARGED),
        (httpx.Response(404, text="Not Found"), LookupStatus.UNKNOWN),  # not the gateway's answer
        (echo("unknown", 503), LookupStatus.PENDING),  # the provider holds the charge
        (echo("unknown"), LookupStatus.PENDING),
        (httpx.Response(503, json={"status": "unknown"}), LookupStatus.UNKNOWN),  # whose?
        (
            httpx.Response(503, json={"payment_id": str(uuid4()), "status": "unknown"}),
            LookupStatus.UNKNOWN,  # about another payment
        ),
        (echo("unknown", 500), LookupStatus.UNKNOWN),  # only a 503 may say "not yet"
        (httpx.Response(400), LookupStatus.UNKNOWN),
        (httpx.Response(200, text="garbage"), LookupStatus.UNKNOWN),
        (read_timeout(), LookupStatus.UNKNOWN),
        (connect_error(), LookupStatus.UNKNOWN),
    ],
    ids=[
        *("approved", "declined", "404", "bare-404", "held-503", "held-200", "503"),
        *("503-other-payment", "500-unknown", "400", "garbage", "timeout", "conn"),
    ],
)
async def test_lookup_mapping(reply: Reply, expected: LookupStatus) -> None:
    gw = Gateway([reply])
    payment_id = uuid4()

    assert await gw.adapter.lookup(payment_id, Deadline.after(DEADLINE_S)) is expected
    assert gw.requests[0].method == "GET"
    assert gw.requests[0].url.path == f"/payments/{payment_id}"


async def test_lookup_retries_up_to_lookup_attempts() -> None:
    gw = Gateway([httpx.Response(503)], lookup_attempts=2, max_attempts=5)

    assert await gw.adapter.lookup(uuid4(), Deadline.after(DEADLINE_S)) is LookupStatus.UNKNOWN
    assert len(gw.requests) == 2


async def test_a_held_charge_is_asked_about_once() -> None:
    """The provider's "not decided yet" is an answer: asking again at once learns nothing."""
    gw = Gateway([echo("unknown", 503)], lookup_attempts=3)

    assert await gw.adapter.lookup(uuid4(), Deadline.after(DEADLINE_S)) is LookupStatus.PENDING
    assert len(gw.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), echo("unknown", 502), read_timeout(), connect_error()],
    ids=["503", "502", "timeout", "conn"],
)
async def test_only_failed_lookups_count_against_the_breaker(failure: Reply) -> None:
    """Answers from a provider that holds charges (PENDING) never open the circuit that
    guards charges; lookups that failed still do."""
    threshold = 3
    held = Gateway([echo("unknown", 503)], breaker_failure_threshold=threshold)
    for _ in range(threshold * 3):
        async with held.adapter.admission():
            status = await held.adapter.lookup(uuid4(), Deadline.after(DEADLINE_S))
            assert status is LookupStatus.PENDING
    assert held.adapter.breaker_state is BreakerState.CLOSED

    failing = Gateway([failure], breaker_failure_threshold=threshold, lookup_attempts=1)
    for _ in range(threshold):
        async with failing.adapter.admission():
            status = await failing.adapter.lookup(uuid4(), Deadline.after(DEADLINE_S))
            assert status is LookupStatus.UNKNOWN
    assert failing.adapter.breaker_state is BreakerState.OPEN


async def test_lookup_recovers_after_a_503() -> None:
    gw = Gateway([httpx.Response(503), echo("approved")], lookup_attempts=2)

    assert await gw.adapter.lookup(uuid4(), Deadline.after(DEADLINE_S)) is LookupStatus.APPROVED


async def test_lookup_with_exhausted_deadline_sends_nothing() -> None:
    gw = Gateway([echo("approved")])

    assert await gw.adapter.lookup(uuid4(), Deadline.after(0)) is LookupStatus.UNKNOWN
    assert gw.requests == []


# --- tracing --------------------------------------------------------------------------


async def test_the_gateway_sees_the_calls_span_as_its_caller() -> None:
    with in_memory_tracing() as spans:
        gw = Gateway([connect_error(), echo("approved")])
        assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "APPROVED"
    [span] = spans.get_finished_spans()  # the call's span alone: none per HTTP attempt
    assert span.name == "gateway charge"
    assert span.context is not None
    ids, flags = span.context, span.context.trace_flags
    caller = f"00-{ids.trace_id:032x}-{ids.span_id:016x}-{flags:02x}"
    assert [request.headers["traceparent"] for request in gw.requests] == [caller, caller]
    events = [(event.name, dict(event.attributes or {})) for event in span.events]
    assert events == [
        ("gateway.attempt_failed", {"gateway.attempt": 1, "gateway.failure": "not_sent"})
    ]
    assert dict(span.attributes or {})["gateway.attempts"] == 2


async def test_no_trace_context_is_sent_when_the_process_does_not_trace() -> None:
    gw = Gateway([echo("approved")])
    assert await gw.adapter.charge(charge_request(), Deadline.after(DEADLINE_S)) == "APPROVED"
    assert "traceparent" not in gw.requests[0].headers
