"""Everything the mock remembers: current mode, recorded outcomes and counters.

One instance lives on `app.state`, so each app (and each test) has its own.
All mutations are synchronous, hence atomic on the event loop: two concurrent
requests for one payment can never both record a charge.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from mock_gateway.modes import RANDOM_CHOICES, Mode
from mock_gateway.settings import Settings
from mock_gateway.webhook_sender import WebhookSender


@dataclass(slots=True)
class Outcome:
    """What the gateway decided for one payment; replayed on every repeat."""

    status: Literal["approved", "declined"]
    charge_id: str | None = None
    reason: str | None = None
    held: bool = False  # `unknown` mode: charged, but the gateway will not say so yet
    amount: int = 0
    currency: str = ""
    charged_at: datetime | None = None  # set for a charge (approved)
    refunded_amount: int = 0

    @classmethod
    def approved(cls, *, held: bool = False, amount: int = 0, currency: str = "") -> Outcome:
        return cls(
            status="approved",
            charge_id=str(uuid.uuid4()),
            held=held,
            amount=amount,
            currency=currency,
            charged_at=datetime.now(UTC),
        )

    def record_view(self, payment_id: str) -> dict[str, Any]:
        """How the charge list shows it."""
        return {
            "payment_id": payment_id,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "charged_at": None if self.charged_at is None else self.charged_at.isoformat(),
            "refunded_amount": self.refunded_amount,
        }

    @classmethod
    def declined(cls) -> Outcome:
        return cls(status="declined", reason="card declined by issuer")

    def charge_body(self, payment_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"payment_id": payment_id, "status": self.status}
        if self.charge_id is not None:
            body["charge_id"] = self.charge_id
        if self.reason is not None:
            body["reason"] = self.reason
        return body


@dataclass(slots=True)
class DisputeRecord:
    """A dispute the wallet filed, and the status the provider gave it."""

    dispute_id: str
    payment_id: str
    amount: int
    currency: str
    reason: str
    evidence: list[str]
    status: str = "open"
    filed_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def view(self) -> dict[str, Any]:
        return {
            "dispute_id": self.dispute_id,
            "payment_id": self.payment_id,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "evidence": list(self.evidence),
            "filed_at": self.filed_at.isoformat(),
        }


class GatewayState:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.hang_s = settings.hang_s
        self._weights = settings.weights
        self._late: dict[str, asyncio.TimerHandle] = {}  # charges landing later
        self.outcomes: dict[str, Outcome] = {}
        self.attempts: Counter[str] = Counter()
        self.charges: Counter[str] = Counter()
        self.webhooks = WebhookSender(settings.webhook_url, settings.webhook_secret)
        self.disputes: dict[str, DisputeRecord] = {}
        self.webhook_settle_delay_s = settings.webhook_settle_delay_s
        self._apply_startup_mode()

    def _apply_startup_mode(self) -> None:
        self.mode = self._settings.mode
        self.latency_ms = self._settings.latency_ms
        self.seed = self._settings.seed
        self._rng = random.Random(self.seed)  # noqa: S311 - reproducible test traffic, not crypto

    def set_mode(
        self, mode: Mode, *, latency_ms: int | None = None, seed: int | None = None
    ) -> None:
        """Switch behaviour at runtime; a new seed restarts the random sequence."""
        self.mode = mode
        if latency_ms is not None:
            self.latency_ms = latency_ms
        if seed is not None:
            self.seed = seed
            self._rng = random.Random(seed)  # noqa: S311

    def pick_random(self) -> Mode:
        modes = [m for m in RANDOM_CHOICES if m in self._weights]
        return self._rng.choices(modes, weights=[self._weights[m] for m in modes])[0]

    def count_attempt(self, payment_id: str) -> None:
        self.attempts[payment_id] += 1

    def record(self, payment_id: str, outcome: Outcome) -> Outcome:
        """Record `outcome` unless one exists; return the one on record (never charge twice)."""
        existing = self.outcomes.setdefault(payment_id, outcome)
        if existing is outcome and outcome.status == "approved":
            self.charges[payment_id] += 1
        return existing

    def charge_later(self, payment_id: str, *, amount: int, currency: str) -> None:
        """Record an approved charge once the hang is over and as long again has passed
        (after the caller got its 504 and asked what became of the payment), on the loop
        rather than in the request, so a caller that gives up does not stop it."""
        if payment_id in self._late:
            return

        def land() -> None:
            self._late.pop(payment_id, None)
            self.record(payment_id, Outcome.approved(amount=amount, currency=currency))

        self._late[payment_id] = asyncio.get_running_loop().call_later(2 * self.hang_s, land)

    def lookup(self, payment_id: str) -> Outcome | None:
        return self.outcomes.get(payment_id)

    def charges_between(
        self, since: datetime, until: datetime, *, after: str | None, limit: int
    ) -> list[tuple[str, Outcome]]:
        """Charges made in [since, until), ordered by payment id (the wallet's ids are
        time-ordered), the first `limit` after the id `after`."""
        # nsmallest keeps `limit` items, not every charge in the window: a page costs the
        # mock one page of memory, like it costs the reconciliation that reads it.
        return heapq.nsmallest(
            limit,
            (
                (payment_id, outcome)
                for payment_id, outcome in self.outcomes.items()
                if outcome.charged_at is not None
                and since <= outcome.charged_at < until
                and (after is None or payment_id > after)
            ),
            key=lambda item: item[0],
        )

    def put_charge(self, payment_id: str, outcome: Outcome) -> None:
        """Admin: record (or overwrite) a charge, as a provider's late or odd charge."""
        self.outcomes[payment_id] = outcome
        self.charges[payment_id] = 1

    def forget(self, payment_id: str) -> bool:
        """Admin: drop what is known of one payment."""
        self.charges.pop(payment_id, None)
        return self.outcomes.pop(payment_id, None) is not None

    def release_all(self) -> int:
        """Let held outcomes be seen; returns how many were released."""
        held = [o for o in self.outcomes.values() if o.held]
        for outcome in held:
            outcome.held = False
        return len(held)

    def send_webhooks_to(
        self, url: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> WebhookSender:
        """Send the webhooks from now on to `url` (through `transport`: tests deliver them
        in-process to an app), signed with the configured secret. Closing the sender is the
        caller's job, as the app's lifespan closes the one it started with."""
        self.webhooks = WebhookSender(url, self._settings.webhook_secret, transport=transport)
        return self.webhooks

    def reset(self) -> None:
        """Forget every payment and return to the start-up mode, as if freshly started."""
        for handle in self._late.values():
            handle.cancel()
        self._late.clear()
        self.outcomes.clear()
        self.attempts.clear()
        self.charges.clear()
        self.disputes.clear()
        self.webhooks.reset()
        self._apply_startup_mode()
