"""The gateway's circuit breaker: closed → open → half-open (one probe) → closed or open.

A small state machine owned here rather than a library's, because a payment needs what
the usual call-wrapping breakers do not offer:

- Asking and telling are apart. `admit()` decides before anything is debited (the Pay use
  case asks, through the adapter's `admission()`, before its first transaction); the
  outcome is recorded later with `record()`, after the charge has run its retries.
- Consecutive failures open it: `failure_threshold` failed calls in a row (a success
  resets the count) open the circuit for `recovery_s`; every admission meanwhile is
  refused at once.
- One probe in half-open. Once the open period is over, the first admission is the probe;
  the others are refused until the probe ends. Its success closes the circuit, its
  failure opens it for another full period.
- Late outcomes are ignored. Every admission carries the breaker's generation (bumped on
  each state change); an outcome of a call admitted before the last change (say a charge
  still hanging from before the circuit opened) says nothing about the gateway now, and
  must not close a half-open circuit nor reopen a closed one.
- `retry_after_s` is the time until the half-open probe, rounded up to whole seconds (>= 1).

Time is read from a monotonic clock, so a wall-clock jump neither shortens nor stretches
an open period.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import structlog
from wallet_domain.errors import GatewayUnavailable

CIRCUIT: Final = "payment-gateway"
_log = structlog.get_logger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"  # the next admission is the probe (or a probe is in flight)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One admission: the breaker generation it was granted in, and whether it is the probe."""

    generation: int
    probe: bool


class CircuitBreaker:
    """Fail fast while the gateway keeps failing; see the module docstring.

    Nothing here awaits between reading and changing the state, so on one event loop no
    lock is needed. `admit` and `record` stay coroutines so that callers need not change
    if the state ever moves somewhere shared.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        recovery_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._threshold = failure_threshold
        self._recovery_s = recovery_s
        self._clock = clock
        # Stored state: OPEN stays OPEN after its period until an admission moves it on.
        self._state = BreakerState.CLOSED
        self._failures = 0  # consecutive, while closed
        self._opened_at = 0.0
        self._generation = 0
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        """OPEN once its period is over reads as HALF_OPEN: the next admission probes."""
        if self._state is BreakerState.OPEN and self._seconds_to_probe() <= 0:
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until a probe may be let through, at least 1."""
        return max(1, math.ceil(self._seconds_to_probe()))

    async def admit(self) -> Ticket:
        """A ticket for one call, or GatewayUnavailable at once (circuit open, or a
        half-open probe already in flight)."""
        if self._state is BreakerState.OPEN:
            if self._seconds_to_probe() > 0:
                raise GatewayUnavailable(retry_after_s=self.retry_after_s, reason="circuit_open")
            self._move_to(BreakerState.HALF_OPEN)
        if self._state is BreakerState.CLOSED:
            return Ticket(self._generation, probe=False)
        if self._probe_out:
            raise GatewayUnavailable(retry_after_s=1, reason="circuit_half_open")
        self._probe_out = True
        return Ticket(self._generation, probe=True)

    def release(self, ticket: Ticket) -> None:
        """The admitted call is over. A probe that recorded nothing (say the payment was
        refused for lack of funds) frees the probe for the next admission."""
        if ticket.probe and ticket.generation == self._generation:
            self._probe_out = False

    async def record(self, ticket: Ticket | None, *, ok: bool) -> None:
        """The outcome of a call. `ticket` None (a call made outside `admit`) counts
        as a call admitted now, but never as a half-open probe."""
        if ticket is not None and ticket.generation != self._generation:
            return  # admitted under an earlier state: stale news
        if self._state is BreakerState.CLOSED:
            self._failures = 0 if ok else self._failures + 1
            if self._failures >= self._threshold:
                self._move_to(BreakerState.OPEN)
        elif self._state is BreakerState.HALF_OPEN and ticket is not None and ticket.probe:
            self._move_to(BreakerState.CLOSED if ok else BreakerState.OPEN)
        # OPEN: nothing was admitted in this generation, so nothing here is news.

    def _move_to(self, state: BreakerState) -> None:
        """Change state: a new generation, no probe out, the failure count restarted."""
        self._state = state
        self._generation += 1
        self._probe_out = False
        self._failures = 0
        if state is BreakerState.OPEN:
            self._opened_at = self._clock()
        _log.warning("gateway_breaker_state_changed", circuit=CIRCUIT, state=state.value)

    def _seconds_to_probe(self) -> float:
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self._recovery_s - self._clock())
