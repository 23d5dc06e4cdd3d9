"""Signed webhooks from the mock provider to the wallet, delivered until a 2xx.

Like a real provider: each event is signed per Standard Webhooks (with the
`standardwebhooks` library, re-signed per attempt so a retry carries a fresh timestamp),
POSTed to `MOCK_WEBHOOK_URL`, and retried with a doubling backoff on anything but a 2xx
(a 4xx too: the provider cannot tell our bug from its own). Deliveries live in memory and
are bounded: past `max_pending` undelivered events, `emit` refuses new ones.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import orjson
from standardwebhooks.webhooks import Webhook

_TIMEOUT: Final = httpx.Timeout(5.0)


class WebhookBacklogFull(Exception):
    """Too many undelivered webhooks: the mock refuses to queue more."""


@dataclass(slots=True)
class Delivery:
    """One event and how its delivery went."""

    provider_event_id: str
    type: str
    body: bytes
    attempts: int = 0
    delivered: bool = False
    last_status: int | None = None  # the last HTTP status, None for a network error
    statuses: list[int | None] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "provider_event_id": self.provider_event_id,
            "type": self.type,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "last_status": self.last_status,
        }


def event_body(provider_event_id: str, event_type: str, data: dict[str, Any]) -> bytes:
    """The body a provider event travels in."""
    return orjson.dumps(
        {
            "provider_event_id": provider_event_id,
            "type": event_type,
            "created_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
    )


class WebhookSender:
    """Queues, signs and delivers provider events; one per mock app."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        max_pending: int = 10_000,
        base_delay_s: float = 0.2,
        max_delay_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,  # tests receive in-process
    ) -> None:
        self.url = url
        self._webhook = Webhook(secret)
        self._max_pending = max_pending
        self._base_delay_s = base_delay_s
        self._max_delay_s = max_delay_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.deliveries: dict[str, Delivery] = {}
        self.counts: Counter[str] = Counter()

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def emit(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        provider_event_id: str | None = None,
        delay_s: float = 0.0,
    ) -> Delivery:
        """Queue one event (sent after `delay_s`); its id is new unless given (a resend)."""
        if len(self._tasks) >= self._max_pending:
            raise WebhookBacklogFull(f"{self._max_pending} webhooks undelivered")
        event_id = provider_event_id or f"evt_{uuid.uuid4().hex}"
        delivery = Delivery(event_id, event_type, event_body(event_id, event_type, data))
        self.deliveries[event_id] = delivery
        self.counts["emitted"] += 1
        if self.enabled:
            task = asyncio.get_running_loop().create_task(self._deliver(delivery, delay_s))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return delivery

    def signed_headers(self, delivery: Delivery) -> dict[str, str]:
        now = datetime.now(UTC)
        return {
            "content-type": "application/json",
            "webhook-id": delivery.provider_event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(delivery.provider_event_id, now, delivery.body),
        }

    async def _deliver(self, delivery: Delivery, delay_s: float) -> None:
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        delay = self._base_delay_s
        while True:
            delivery.attempts += 1
            self.counts["attempts"] += 1
            status: int | None = None
            try:
                reply = await self._http().post(
                    self.url, content=delivery.body, headers=self.signed_headers(delivery)
                )
                status = reply.status_code
            except httpx.HTTPError:
                pass
            delivery.last_status = status
            delivery.statuses.append(status)
            if status is not None and 200 <= status < 300:
                delivery.delivered = True
                self.counts["delivered"] += 1
                return
            self.counts["failed_attempts"] += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay_s)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=_TIMEOUT, transport=self._transport)
        return self._client

    def stats(self) -> dict[str, Any]:
        return {"url": self.url, "pending": self.pending, **self.counts}

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.deliveries.clear()
        self.counts.clear()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
