"""`POST /webhooks/gateway`: verify, publish with confirms, then 202.

Refusals publish nothing: a body over the limit is 413; a bad, missing or stale signature
401; a well-signed body that is not a provider event, or names another id than its
`webhook-id`, 400 (`VALIDATION_ERROR`, as in sync mode); a broker that is down, returns
the message or does not confirm it in time, 503 with `Retry-After` (the provider retries,
nothing was stored). 202 means the broker confirmed the body into `webhooks.queue`.

Only the signature is checked here, and the body's shape (so a provider bug is its 400,
not a dead letter later): whether the payment or dispute exists is the consumer's
business, with the database this process does not have.
"""

from __future__ import annotations

import time
from typing import Final

import structlog
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from wallet_domain.errors import ValidationError, WebhookSignatureInvalid
from wallet_domain.model.provider_event import ProviderEvent, UnsupportedProviderEvent
from wallet_domain.model.provider_event_label import event_type_label
from wallet_infra.messaging.webhook_publisher import (
    ConfirmedWebhookPublisher,
    WebhookNotPublished,
)
from wallet_infra.problem_details import wants_problem_details
from wallet_infra.webhooks.signature import WebhookVerifier

from wallet_webhook_ingest.body import body_within
from wallet_webhook_ingest.metrics import ACCEPTED, IngestMetrics
from wallet_webhook_ingest.replies import (
    as_problem,
    error_response,
    json_response,
    too_large,
    unavailable,
)

PATH: Final = "/webhooks/gateway"

LOGGER: Final = "wallet.webhooks.ingest"

_log = structlog.get_logger(LOGGER)


def event_type(event: ProviderEvent) -> str:
    """The type the event arrived as (the routing key it is published under), also one
    we do not act on: a future consumer may bind to it."""
    if isinstance(event, UnsupportedProviderEvent):
        return event.type
    return event_type_label(event)


class WebhookIntake:
    """The route's work, APP-scoped: built once, called per request."""

    def __init__(
        self,
        *,
        verifier: WebhookVerifier,
        publisher: ConfirmedWebhookPublisher,
        metrics: IngestMetrics,
        max_body_bytes: int,
    ) -> None:
        self._verifier = verifier
        self._publisher = publisher
        self._metrics = metrics
        self._max_body_bytes = max_body_bytes

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await body_within(request, self._max_body_bytes)
        except ClientDisconnect:
            # The server cut the body (its timeout: answered 408 and counted there) or the
            # provider hung up: nobody is left to answer, and nothing was published.
            return Response(status_code=408)
        if body is None:
            return self._refused(request, "too_large", too_large(self._max_body_bytes))
        try:
            event = self._verifier.verified_event(body, request.headers)
        except WebhookSignatureInvalid as invalid:
            return self._refused(
                request, "bad_signature", error_response(401, invalid.code, invalid.message)
            )
        except ValidationError as invalid:
            return self._refused(
                request,
                "malformed",
                error_response(400, invalid.code, invalid.message, details=invalid.details),
            )
        kind = event_type(event)
        publishing = time.perf_counter()
        try:
            await self._publisher.publish(body, webhook_id=event.provider_event_id, event_type=kind)
        except WebhookNotPublished as refused:
            self._metrics.publish_seconds.observe(time.perf_counter() - publishing)
            return self._refused(
                request,
                refused.reason,
                unavailable(refused.reason),
                provider_event_id=event.provider_event_id,
            )
        now = time.perf_counter()
        self._metrics.publish_seconds.observe(now - publishing)
        self._metrics.answered(ACCEPTED)
        _log.info(
            "webhook_accepted",
            provider_event_id=event.provider_event_id,
            event_type=kind,
            latency_ms=round((now - started) * 1000, 2),
        )
        return json_response(
            202, {"status": "accepted", "provider_event_id": event.provider_event_id}
        )

    def _refused(
        self, request: Request, outcome: str, response: Response, **fields: str
    ) -> Response:
        self._metrics.answered(outcome)
        _log.warning("webhook_refused", reason=outcome, status=response.status_code, **fields)
        if wants_problem_details(request.headers.get("accept", "").encode("latin-1")):
            return as_problem(response, request.url.path)
        return response
