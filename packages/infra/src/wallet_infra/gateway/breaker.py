"""The gateway's circuit breaker: purgatory's state machine, plus what a payment needs.

purgatory 3 (async-native, in-memory unit of work) keeps the states (closed → opened →
half-opened → closed or opened again), the count of consecutive failures against the
threshold, and the time the circuit opened. This wrapper adds what a payment needs:

- Asking and telling are apart. `admit()` decides before anything is debited (the Pay use
  case asks, through the adapter's `admission()`, before its first transaction); the
  outcome is recorded later with `record()`, after the charge has run its retries.
- One probe in half-open. purgatory lets every request through while half-opened; here
  only the first admission gets through, the others are refused until the probe ends.
- Late outcomes are ignored. Every admission carries the breaker's generation (bumped on
  each state change); an outcome of a call admitted before the last change (say a charge
  still hanging from before the circuit opened) says nothing about the gateway now, and
  must not close a half-open circuit nor reopen a closed one.
- `retry_after_s` is the time until the half-open probe, rounded up to whole seconds (>= 1).

purgatory reads `time.time()`, so a wall-clock jump shortens or stretches one open period.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import structlog
from purgatory import AsyncCircuitBreakerFactory, ContextChanged, Event
from purgatory.domain.model import HALF_OPENED, OPENED, OpenedState
from wallet_domain.errors import GatewayUnavailable

if TYPE_CHECKING:
    from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker

CIRCUIT: Final = "payment-gateway"
_log = structlog.get_logger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"  # the next admission is the probe (or a probe is in flight)


class GatewayCallFailed(Exception):
    """What purgatory is told when a call ended FAILED or UNKNOWN (it counts exceptions)."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """One admission: the breaker generation it was granted in, and whether it is the probe."""

    generation: int
    probe: bool


def _log_transition(name: str, _: str, event: Event) -> None:
    if isinstance(event, ContextChanged):
        _log.warning("gateway_breaker_state_changed", circuit=name, state=event.state)


class CircuitBreaker:
    """Fail fast while the gateway keeps failing; see the module docstring.

    Everything here runs without suspending between reading and changing the state
    (purgatory's in-memory unit of work never awaits I/O), so on one event loop no lock
    is needed.
    """

    def __init__(self, *, failure_threshold: int, recovery_s: float) -> None:
        self._factory = AsyncCircuitBreakerFactory(
            default_threshold=failure_threshold, default_ttl=recovery_s
        )
        self._factory.add_listener(_log_transition)
        self._circuit: AsyncCircuitBreaker | None = None
        self._generation = 0
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        if self._circuit is None:
            return BreakerState.CLOSED
        context = self._circuit.context
        if context.state == OPENED:
            return BreakerState.OPEN if self._seconds_to_probe() > 0 else BreakerState.HALF_OPEN
        return BreakerState.HALF_OPEN if context.state == HALF_OPENED else BreakerState.CLOSED

    @property
    def retry_after_s(self) -> int:
        """Whole seconds until a probe may be let through, at least 1."""
        return max(1, math.ceil(self._seconds_to_probe()))

    async def admit(self) -> Ticket:
        """A ticket for one call, or GatewayUnavailable at once (circuit open, or a
        half-open probe already in flight)."""
        circuit = await self._get_circuit()
        context = circuit.context
        before = context.state
        try:
            context.handle_new_request()  # opened and due: moves to half-opened
        except OpenedState:
            raise GatewayUnavailable(
                retry_after_s=self.retry_after_s, reason="circuit_open"
            ) from None
        finally:
            await self._settle(circuit, before)
        if context.state != HALF_OPENED:
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
        circuit = await self._get_circuit()
        context = circuit.context
        if ticket is not None and ticket.generation != self._generation:
            return  # admitted under an earlier state: stale news
        before = context.state
        if before == OPENED or (before == HALF_OPENED and not (ticket and ticket.probe)):
            return
        if ok:
            context.handle_end_request()
        else:
            context.handle_exception(GatewayCallFailed())
        await self._settle(circuit, before)

    async def _get_circuit(self) -> AsyncCircuitBreaker:
        if self._circuit is None:
            self._circuit = await self._factory.get_breaker(CIRCUIT)
        return self._circuit

    async def _settle(self, circuit: AsyncCircuitBreaker, before: str) -> None:
        """Bump the generation on a state change; hand purgatory its pending events."""
        if circuit.context.state != before:
            self._generation += 1
            self._probe_out = False
        while circuit.context.messages:
            await circuit.messagebus.handle(circuit.context.messages.pop(0), circuit.uow)

    def _seconds_to_probe(self) -> float:
        context = self._circuit.context if self._circuit is not None else None
        if context is None or context.state != OPENED or context.opened_at is None:
            return 0.0
        return max(0.0, context.opened_at + context.ttl - time.time())
