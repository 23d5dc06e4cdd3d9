"""HttpxPaymentGateway: the PaymentGateway port over HTTP (SPEC §7)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from uuid import UUID

import httpx
import structlog
from wallet_domain.deadline import Deadline
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    LookupStatus,
    PaymentGateway,
)

from wallet_infra.gateway import failures, replies
from wallet_infra.gateway.bulkhead import Bulkhead
from wallet_infra.gateway.failures import Failure
from wallet_infra.gateway.retrying import RetriesExhausted, call_with_retries
from wallet_infra.gateway.settings import GatewaySettings

_log = structlog.get_logger(__name__)


def _verdict(failed: tuple[Failure, ...]) -> ChargeStatus:
    """After the last attempt: any attempt that may have charged makes the charge UNKNOWN
    (it is looked up, never refunded blind); otherwise nothing was charged: FAILED."""
    return ChargeStatus.UNKNOWN if Failure.AMBIGUOUS in failed else ChargeStatus.FAILED


class HttpxPaymentGateway(PaymentGateway):
    """Charges and lookups with deadline-bounded retries, behind a bulkhead.

    `client` is the process-wide pooled client (see make_gateway_http_client);
    this class never creates or closes it.
    """

    def __init__(self, *, client: httpx.AsyncClient, settings: GatewaySettings) -> None:
        self._client = client
        self._settings = settings
        self._bulkhead = Bulkhead(settings.max_concurrent)

    @property
    def bulkhead(self) -> Bulkhead:
        return self._bulkhead

    @asynccontextmanager
    async def admission(self) -> AsyncIterator[None]:
        # A circuit-breaker check belongs here, before taking a bulkhead slot.
        async with self._bulkhead.slot():
            yield

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        log = _log.bind(payment_id=str(request.payment_id), operation="charge")
        try:
            status = await call_with_retries(
                partial(self._charge_once, request),
                attempts=self._settings.max_attempts,
                deadline=deadline,
                settings=self._settings,
                log=log,
            )
        except RetriesExhausted as exhausted:
            status = _verdict(exhausted.failures)
            tried = len(exhausted.failures)
            log.warning("gateway_charge_gave_up", status=str(status), failed_attempts=tried)
        # A circuit breaker would record `status` here (FAILED/UNKNOWN count as failures).
        return status

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        log = _log.bind(payment_id=str(payment_id), operation="lookup")
        try:
            return await call_with_retries(
                partial(self._lookup_once, payment_id),
                attempts=self._settings.lookup_attempts,
                deadline=deadline,
                settings=self._settings,
                log=log,
            )
        except RetriesExhausted:
            return LookupStatus.UNKNOWN

    async def _charge_once(self, request: ChargeRequest, seconds_left: float) -> ChargeStatus:
        body = {
            "payment_id": str(request.payment_id),
            "user_id": request.user_id,
            "amount": request.money.amount,
            "currency": request.money.currency,
            "provider_id": str(request.provider_id),
            "external_reference": request.external_reference,
        }
        headers = {"Idempotency-Key": str(request.payment_id)}
        response = await self._send("POST", "/payments", seconds_left, json=body, headers=headers)
        if response is None:
            return ChargeStatus.UNKNOWN
        return replies.charge_status(response, request.payment_id)

    async def _lookup_once(self, payment_id: UUID, seconds_left: float) -> LookupStatus:
        response = await self._send("GET", f"/payments/{payment_id}", seconds_left)
        if response is None:
            return LookupStatus.UNKNOWN
        return replies.lookup_status(response, payment_id)

    async def _send(
        self, method: str, url: str, seconds_left: float, **kwargs: Any
    ) -> httpx.Response | None:
        """One HTTP exchange within `seconds_left`.

        Raises TransientFailure for what is worth retrying (timeouts, connection errors,
        5xx); returns None for an answer that could not be read at all.
        """
        s = self._settings
        connect_s = min(s.connect_timeout_s, seconds_left)
        io_s = min(s.attempt_timeout_s, seconds_left)
        timeout = httpx.Timeout(connect=connect_s, read=io_s, write=io_s, pool=connect_s)
        # httpx times each phase separately (and some transports not at all): cap the whole.
        cap_s = min(seconds_left, s.connect_timeout_s + s.attempt_timeout_s)
        try:
            async with asyncio.timeout(cap_s):
                response = await self._client.request(method, url, timeout=timeout, **kwargs)
        except TimeoutError as exc:
            raise failures.from_hard_timeout() from exc
        except httpx.TransportError as exc:
            raise failures.from_transport_error(exc) from exc
        except httpx.HTTPError:  # e.g. an undecodable body: an answer we cannot read
            return None
        if response.status_code >= 500:
            raise failures.from_server_error(response.status_code)
        return response
