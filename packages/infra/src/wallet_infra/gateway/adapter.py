"""HttpxPaymentGateway: the PaymentGateway port over HTTP (the calls: docs/operations.md).

Admission is the circuit breaker, then a bulkhead slot, both refusing at once (see
`admission`: the breaker's ticket reaches `charge()` / `lookup()` in a context variable).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import httpx
import orjson
import structlog
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    DisputeFiling,
    EvidenceStatus,
    FilingStatus,
    LookupStatus,
    PaymentGateway,
    WithdrawalStatus,
)

from wallet_infra.gateway import failures, observability, replies
from wallet_infra.gateway.admission import Admission, admitted_ticket
from wallet_infra.gateway.aiohttp_transport import READ_WHOLE_BODY
from wallet_infra.gateway.breaker import BreakerState, CircuitBreaker
from wallet_infra.gateway.bulkhead import Bulkhead
from wallet_infra.gateway.failures import Failure, TransientFailure
from wallet_infra.gateway.retrying import RetriesExhausted, call_with_retries
from wallet_infra.gateway.settings import GatewaySettings
from wallet_infra.gateway.wire_request import WireRequests
from wallet_infra.telemetry import outgoing_trace_headers, tracer, tracing_active

T = TypeVar("T")
_Answer = TypeVar("_Answer", LookupStatus, FilingStatus)  # what a read of the provider says
# What a dispute write got.
_Written = TypeVar("_Written", FilingStatus, WithdrawalStatus, EvidenceStatus)

_log = structlog.get_logger(__name__)
# What the breaker counts as the gateway failing: 5xx or unreachable, or no answer in time.
# A decline is the gateway working.
_CHARGE_FAILURES = frozenset({ChargeStatus.FAILED, ChargeStatus.UNKNOWN})
# Tracing off: no span to describe, none of its attributes built (stateless, so shared).
_NO_SPAN: AbstractContextManager[Span] = nullcontext(INVALID_SPAN)


class _Attempts:
    """Numbers one call's attempts and counts each in the attempt/retry metrics."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.count = 0
        # The call's span: each failed attempt is an event on it (the HTTP exchange has
        # no span of its own; see `_span`).
        self.span: Span = INVALID_SPAN

    def wrap(self, once: Callable[[float], Awaitable[T]]) -> Callable[[float], Awaitable[T]]:
        async def attempt(seconds_left: float) -> T:
            self.count += 1
            number = self.count
            try:
                result = await once(seconds_left)
            except TransientFailure as exc:
                observability.attempt_observed(self.operation, number, exc.failure.value)
                self.span.add_event(
                    "gateway.attempt_failed",
                    {"gateway.attempt": number, "gateway.failure": exc.failure.value},
                )
                raise
            observability.attempt_observed(self.operation, number, str(result).lower())
            return result

        return attempt


def _verdict(failed: tuple[Failure, ...]) -> ChargeStatus:
    """After the last attempt: any attempt that may have charged makes the charge UNKNOWN
    (it is looked up, never refunded blind); otherwise nothing was charged: FAILED."""
    return ChargeStatus.UNKNOWN if Failure.AMBIGUOUS in failed else ChargeStatus.FAILED


class HttpxPaymentGateway(PaymentGateway):
    """Charges and lookups with deadline-bounded retries, behind a breaker and a bulkhead.

    `client` is the process-wide pooled client (see make_gateway_http_client);
    this class never creates or closes it.
    """

    def __init__(self, *, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self._client = client
        # Each call goes straight to the client's transport (the one the OpenTelemetry
        # instrumentation wraps): AsyncClient.send's auth flow, redirect loop, cookie jar,
        # hooks and header merging cost ~0.15-0.3 ms of CPU per call and do nothing for a
        # gateway call (no auth, redirects never followed, no cookies, no hooks).
        self._transport: httpx.AsyncBaseTransport = client._transport
        self._requests = WireRequests(client.headers, host=client.base_url.netloc)
        self._settings = settings
        # Absolute and parsed once: httpx re-parses and re-joins a relative URL per call.
        self._payments_url = httpx.URL(str(client.base_url).rstrip("/") + "/payments")
        self._disputes_url = httpx.URL(str(client.base_url).rstrip("/") + "/disputes")
        self._bulkhead = Bulkhead(settings.max_concurrent)
        self._breaker = CircuitBreaker(
            failure_threshold=settings.breaker_failure_threshold,
            recovery_s=settings.breaker_recovery_s,
        )
        observability.watch(breaker=self._breaker, bulkhead=self._bulkhead)

    @property
    def bulkhead(self) -> Bulkhead:
        return self._bulkhead

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    @property
    def breaker_state(self) -> BreakerState:
        return self._breaker.state

    @property
    def bulkhead_in_use(self) -> int:
        return self._bulkhead.in_use

    def admission(self) -> Admission:
        return Admission(self._breaker, self._bulkhead)

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        """The outcome is told to the breaker, unless no attempt was made at all (the
        deadline was already spent): that says nothing about the gateway."""
        log = _log.bind(payment_id=str(request.payment_id), operation="charge")
        attempts = _Attempts("charge")
        with self._span("charge", request.payment_id, attempts) as span:
            try:
                status = await call_with_retries(
                    attempts.wrap(partial(self._charge_once, request)),
                    attempts=self._settings.max_attempts,
                    deadline=deadline,
                    settings=self._settings,
                    log=log,
                )
            except RetriesExhausted as exhausted:
                tried = len(exhausted.failures)
                if not tried:  # no time left for any attempt: nothing sent, breaker untold
                    _outcome(span, "charge", "skipped", failed=True)
                    return ChargeStatus.NOT_SENT
                status = _verdict(exhausted.failures)
                log.warning("gateway_charge_gave_up", status=str(status), failed_attempts=tried)
            await self._breaker.record(admitted_ticket(), ok=status not in _CHARGE_FAILURES)
            _outcome(span, "charge", str(status).lower(), failed=status in _CHARGE_FAILURES)
            return status

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        """Only a failed lookup (UNKNOWN: timeouts, connection errors, 5xx, an answer we
        cannot read) is told to the breaker. An answered one proves the lookup path works,
        not that charges get through (a gateway can hang on charges while it still answers
        lookups, as the mock's `timeout` mode does); that includes PENDING, the provider's
        own "not decided yet" (`replies.undecided`): a provider holding some charges is
        working, and counting its answers would shut payments out of a healthy gateway.
        PENDING is not retried either: asking again at once learns nothing more."""
        return await self._read(
            "lookup",
            payment_id,
            partial(self._lookup_once, payment_id),
            LookupStatus.UNKNOWN,
            deadline,
        )

    async def file_dispute(self, filing: DisputeFiling, deadline: Deadline) -> FilingStatus:
        """Retried like a charge; a refusal (4xx) is the gateway working, so only 5xx,
        timeouts and an unreadable answer are told to the breaker as failures. FAILED
        only on the provider's own refusal or when no attempt ever connected; any attempt
        that reached it and got no clear answer (a timeout, a 5xx) makes it UNKNOWN:
        unlike a charge, a 5xx is not taken as "not filed" (the provider's edge may have
        recorded the dispute and lost its answer, and cancelling one it has would lose a
        won chargeback). No attempt at all (no time was left) is NOT_SENT."""

        def gave_up(failures: tuple[Failure, ...]) -> FilingStatus:
            if all(f is Failure.NOT_SENT for f in failures):
                return FilingStatus.FAILED
            return FilingStatus.UNKNOWN

        return await self._dispute_write(
            "dispute",
            filing.dispute_id,
            partial(self._file_once, filing),
            deadline,
            not_sent=FilingStatus.NOT_SENT,
            gave_up=gave_up,
            unknown=FilingStatus.UNKNOWN,
            done=frozenset({FilingStatus.FILED}),
            span_subject=filing.payment_id,
        )

    async def find_dispute(self, dispute_id: UUID, deadline: Deadline) -> FilingStatus:
        """Retried like a lookup; only a failed one (UNKNOWN) is told to the breaker."""
        return await self._read(
            "dispute_lookup",
            dispute_id,
            partial(self._find_dispute_once, dispute_id),
            FilingStatus.UNKNOWN,
            deadline,
            id_attribute="wallet.dispute_id",
        )

    async def withdraw_dispute(self, dispute_id: UUID, deadline: Deadline) -> WithdrawalStatus:
        """Retried like a filing; the provider's answers (withdrawn, not filed, decided)
        are it working, so only 5xx, timeouts and an unreadable answer count against the
        breaker. FAILED when no attempt may have left a withdrawal it made unanswered
        (5xx, never connected); UNKNOWN when one may have (a timeout) or none was sent (no
        time was left; either way nothing changes here and the client sends it again)."""

        return await self._dispute_write(
            "dispute_withdrawal",
            dispute_id,
            partial(self._withdraw_once, dispute_id),
            deadline,
            not_sent=WithdrawalStatus.UNKNOWN,
            gave_up=_unknown_if_ambiguous(WithdrawalStatus.UNKNOWN, WithdrawalStatus.FAILED),
            unknown=WithdrawalStatus.UNKNOWN,
            done=frozenset({WithdrawalStatus.WITHDRAWN, WithdrawalStatus.NOT_FILED}),
            span_subject=dispute_id,
            id_attribute="wallet.dispute_id",
        )

    async def forward_evidence(
        self, dispute_id: UUID, evidence: tuple[str, ...], deadline: Deadline
    ) -> EvidenceStatus:
        """Retried like a filing; the provider's answers (held, refused) are it working,
        so only 5xx, timeouts and an unreadable answer count against the breaker. Any
        other outcome is sent again later, so FAILED and UNKNOWN differ only in the logs
        (no attempt sent is UNKNOWN)."""

        return await self._dispute_write(
            "dispute_evidence",
            dispute_id,
            partial(self._forward_evidence_once, dispute_id, evidence),
            deadline,
            not_sent=EvidenceStatus.UNKNOWN,
            gave_up=_unknown_if_ambiguous(EvidenceStatus.UNKNOWN, EvidenceStatus.FAILED),
            unknown=EvidenceStatus.UNKNOWN,
            done=frozenset({EvidenceStatus.HELD}),
            span_subject=dispute_id,
            id_attribute="wallet.dispute_id",
        )

    async def _dispute_write(
        self,
        operation: str,
        dispute_id: UUID,
        once: Callable[[float], Awaitable[_Written]],
        deadline: Deadline,
        *,
        not_sent: _Written,
        gave_up: Callable[[tuple[Failure, ...]], _Written],
        unknown: _Written,
        done: frozenset[_Written],
        span_subject: UUID,
        id_attribute: str = "wallet.payment_id",
    ) -> _Written:
        """A change to the provider's record of a dispute, retried within `deadline` like a
        charge. No attempt at all is `not_sent` and tells the breaker nothing; attempts
        that all failed are `gave_up(their failures)` and count against it, as does an
        unreadable answer (`unknown`); the provider's own answers are it working. The span
        says failed unless the answer is in `done`."""
        log = _log.bind(dispute_id=str(dispute_id), operation=operation)
        attempts = _Attempts(operation)
        with self._span(operation, span_subject, attempts, id_attribute) as span:
            try:
                status = await call_with_retries(
                    attempts.wrap(once),
                    attempts=self._settings.max_attempts,
                    deadline=deadline,
                    settings=self._settings,
                    log=log,
                )
            except RetriesExhausted as exhausted:
                if not exhausted.failures:  # never sent: no time was left
                    _outcome(span, operation, "skipped", failed=True)
                    return not_sent
                status = gave_up(exhausted.failures)
                log.warning(f"gateway_{operation}_gave_up", status=str(status))
                await self._breaker.record(admitted_ticket(), ok=False)
            else:
                await self._breaker.record(admitted_ticket(), ok=status is not unknown)
            _outcome(span, operation, str(status).lower(), failed=status not in done)
            return status

    async def _read(
        self,
        operation: str,
        subject: UUID,
        once: Callable[[float], Awaitable[_Answer]],
        unknown: _Answer,
        deadline: Deadline,
        *,
        id_attribute: str = "wallet.payment_id",
    ) -> _Answer:
        """A read of the provider's record of `subject`, retried within `deadline`; only
        a failed one (`unknown`) is told to the breaker."""
        log = _log.bind(operation=operation, **{id_attribute.split(".")[-1]: str(subject)})
        attempts = _Attempts(operation)
        with self._span(operation, subject, attempts, id_attribute) as span:
            try:
                status = await call_with_retries(
                    attempts.wrap(once),
                    attempts=self._settings.lookup_attempts,
                    deadline=deadline,
                    settings=self._settings,
                    log=log,
                )
            except RetriesExhausted as exhausted:
                if not exhausted.failures:  # never asked: no time was left
                    _outcome(span, operation, "skipped", failed=True)
                    return unknown
                status = unknown
            if status is unknown:
                await self._breaker.record(admitted_ticket(), ok=False)
            _outcome(span, operation, str(status).lower(), failed=status is unknown)
            return status

    def _span(
        self,
        operation: str,
        payment_id: UUID,
        attempts: _Attempts,
        id_attribute: str = "wallet.payment_id",
    ) -> AbstractContextManager[Span]:
        """A client span around one call with all its retries, each failed attempt an
        event on it. It is the span the gateway sees as its caller (`traceparent`): a span
        per HTTP attempt (the httpx instrumentation's) cost a payment ~0.1 ms of CPU for
        the URL, method and status this span and its events already tell."""
        if not tracing_active():
            return _NO_SPAN
        return self._traced(operation, payment_id, attempts, id_attribute)

    @contextmanager
    def _traced(
        self, operation: str, payment_id: UUID, attempts: _Attempts, id_attribute: str
    ) -> Iterator[Span]:
        with tracer().start_as_current_span(
            f"gateway {operation}",
            kind=SpanKind.CLIENT,
            attributes={
                "gateway.operation": operation,
                id_attribute: str(payment_id),
                "gateway.breaker_state": self._breaker.state.value,
                "gateway.bulkhead_in_use": self._bulkhead.in_use,
            },
        ) as span:
            attempts.span = span
            try:
                yield span
            finally:
                span.set_attribute("gateway.attempts", attempts.count)
                span.set_attribute("gateway.retries", max(0, attempts.count - 1))
                span.set_attribute("gateway.breaker_state_after", self._breaker.state.value)

    async def _charge_once(self, request: ChargeRequest, seconds_left: float) -> ChargeStatus:
        payment_id = str(request.payment_id)
        body = {
            "payment_id": payment_id,
            "user_id": request.user_id,
            "amount": request.money.amount,
            "currency": request.money.currency,
            "provider_id": str(request.provider_id),
            "external_reference": request.external_reference,
        }
        response = await self._send(
            "POST",
            self._payments_url,
            seconds_left,
            idempotency_key=payment_id,
            json_body=orjson.dumps(body),
        )
        if response is None:
            return ChargeStatus.UNKNOWN
        return replies.charge_status(response, request.payment_id)

    async def _file_once(self, filing: DisputeFiling, seconds_left: float) -> FilingStatus:
        body = {
            "dispute_id": str(filing.dispute_id),
            "payment_id": str(filing.payment_id),
            "amount": filing.money.amount,
            "currency": filing.money.currency,
            "reason": filing.reason,
            "evidence": list(filing.evidence),
        }
        response = await self._send(
            "POST",
            self._disputes_url,
            seconds_left,
            idempotency_key=str(filing.dispute_id),
            json_body=orjson.dumps(body),
        )
        if response is None:
            return FilingStatus.UNKNOWN
        return replies.filing_status(response, filing.dispute_id)

    async def _find_dispute_once(self, dispute_id: UUID, seconds_left: float) -> FilingStatus:
        url = httpx.URL(f"{self._disputes_url}/{dispute_id}")
        response = await self._send("GET", url, seconds_left)
        if response is None:
            return FilingStatus.UNKNOWN
        return replies.dispute_found(response, dispute_id)

    async def _withdraw_once(self, dispute_id: UUID, seconds_left: float) -> WithdrawalStatus:
        url = httpx.URL(f"{self._disputes_url}/{dispute_id}/cancel")
        response = await self._send("POST", url, seconds_left, idempotency_key=str(dispute_id))
        if response is None:
            return WithdrawalStatus.UNKNOWN
        return replies.withdrawal_status(response, dispute_id)

    async def _forward_evidence_once(
        self, dispute_id: UUID, evidence: tuple[str, ...], seconds_left: float
    ) -> EvidenceStatus:
        url = httpx.URL(f"{self._disputes_url}/{dispute_id}/evidence")
        body = orjson.dumps({"evidence": list(evidence)})
        response = await self._send("POST", url, seconds_left, json_body=body)
        if response is None:
            return EvidenceStatus.UNKNOWN
        return replies.evidence_status(response, dispute_id, len(evidence))

    async def _lookup_once(self, payment_id: UUID, seconds_left: float) -> LookupStatus:
        url = httpx.URL(f"{self._payments_url}/{payment_id}")
        response = await self._send(
            "GET", url, seconds_left, answer=lambda reply: replies.undecided(reply, payment_id)
        )
        if response is None:
            return LookupStatus.UNKNOWN
        return replies.lookup_status(response, payment_id)

    async def _exchange(
        self,
        method: str,
        url: httpx.URL,
        phase_timeouts: httpx.Timeout,
        *,
        idempotency_key: str | None = None,
        json_body: bytes | None = None,
    ) -> httpx.Response:
        """One request on the transport, its whole body read (what `client.request` does
        for this client, without the parts it does not use)."""
        request = self._requests.build(
            method,
            url,
            extensions={"timeout": phase_timeouts.as_dict(), READ_WHOLE_BODY: True},
            idempotency_key=idempotency_key,
            json_body=json_body,
            trace_headers=outgoing_trace_headers() if tracing_active() else (),
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        seconds_left: float,
        *,
        answer: Callable[[httpx.Response], bool] | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        """One HTTP exchange within `seconds_left`.

        Raises TransientFailure for what is worth retrying (timeouts, connection errors,
        5xx but those `answer` accepts as the gateway's reply); returns None for an answer
        that could not be read at all.
        """
        s = self._settings
        connect_s = min(s.connect_timeout_s, seconds_left)
        io_s = min(s.attempt_timeout_s, seconds_left)
        timeout = httpx.Timeout(connect=connect_s, read=io_s, write=io_s, pool=connect_s)
        # httpx times each phase separately (and some transports not at all): cap the whole.
        cap_s = min(seconds_left, s.connect_timeout_s + s.attempt_timeout_s)
        try:
            async with asyncio.timeout(cap_s):
                response = await self._exchange(method, url, timeout, **kwargs)
        except TimeoutError as exc:
            raise failures.from_hard_timeout() from exc
        except httpx.TransportError as exc:
            raise failures.from_transport_error(exc) from exc
        except httpx.HTTPError:  # e.g. an undecodable body: an answer we cannot read
            return None
        if response.status_code >= 500 and not (answer is not None and answer(response)):
            raise failures.from_server_error(response.status_code)
        return response


def _unknown_if_ambiguous(
    unknown: _Written, failed: _Written
) -> Callable[[tuple[Failure, ...]], _Written]:
    """After the last attempt of a change to a dispute: `unknown` if any attempt may have
    reached the provider unanswered (a timeout), else `failed` (5xx, never connected)."""

    def gave_up(failures: tuple[Failure, ...]) -> _Written:
        return unknown if Failure.AMBIGUOUS in failures else failed

    return gave_up


def _outcome(span: Span, operation: str, outcome: str, *, failed: bool) -> None:
    observability.call_observed(operation, outcome)
    span.set_attribute("gateway.outcome", outcome)
    if failed:
        span.set_status(Status(StatusCode.ERROR, outcome))
