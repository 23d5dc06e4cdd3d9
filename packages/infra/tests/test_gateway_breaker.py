"""CircuitBreaker on its own: states, threshold, one half-open probe, stale outcomes.

Time is a fake clock handed to the breaker, so open periods pass without sleeping.
"""

from __future__ import annotations

import pytest
from wallet_domain.errors import GatewayUnavailable
from wallet_infra.gateway import BreakerState, CircuitBreaker

THRESHOLD = 3
RECOVERY_S = 10.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=THRESHOLD, recovery_s=RECOVERY_S, clock=clock.time)


async def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        ticket = await breaker.admit()
        await breaker.record(ticket, ok=False)
        breaker.release(ticket)


async def half_open(breaker: CircuitBreaker, clock: FakeClock) -> None:
    """Open the circuit and let its recovery period pass: the next admission is the probe."""
    await fail(breaker, THRESHOLD)
    clock.advance(RECOVERY_S + 1)


async def refused(breaker: CircuitBreaker) -> GatewayUnavailable:
    with pytest.raises(GatewayUnavailable) as caught:
        await breaker.admit()
    return caught.value


async def test_opens_after_threshold_consecutive_failures(breaker: CircuitBreaker) -> None:
    assert breaker.state is BreakerState.CLOSED
    await fail(breaker, THRESHOLD - 1)
    ok = await breaker.admit()
    await breaker.record(ok, ok=True)  # a success resets the count
    await fail(breaker, THRESHOLD - 1)
    assert breaker.state is BreakerState.CLOSED

    await fail(breaker)

    assert breaker.state is BreakerState.OPEN
    error = await refused(breaker)
    assert error.retry_after_s == RECOVERY_S
    assert error.details == {"reason": "circuit_open"}


async def test_retry_after_counts_down_to_the_probe(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    await fail(breaker, THRESHOLD)
    clock.advance(7.2)
    assert (await refused(breaker)).retry_after_s == 3  # 2.8 s rounded up
    clock.advance(2.75)
    assert (await refused(breaker)).retry_after_s == 1  # never 0


async def test_half_open_lets_one_probe_through_and_a_success_closes(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    await fail(breaker, THRESHOLD)
    clock.advance(RECOVERY_S + 0.1)
    assert breaker.state is BreakerState.HALF_OPEN

    probe = await breaker.admit()
    assert probe.probe
    other = await refused(breaker)
    assert other.retry_after_s == 1
    assert other.details == {"reason": "circuit_half_open"}

    await breaker.record(probe, ok=True)
    breaker.release(probe)

    assert breaker.state is BreakerState.CLOSED
    for _ in range(THRESHOLD * 2):
        ticket = await breaker.admit()
        assert not ticket.probe
        breaker.release(ticket)


async def test_a_failed_probe_reopens_for_a_full_period(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    await half_open(breaker, clock)
    probe = await breaker.admit()
    await breaker.record(probe, ok=False)
    breaker.release(probe)

    assert breaker.state is BreakerState.OPEN
    assert (await refused(breaker)).retry_after_s == RECOVERY_S
    clock.advance(RECOVERY_S + 1)
    assert (await breaker.admit()).probe


async def test_a_probe_that_never_called_frees_the_probe(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    await half_open(breaker, clock)
    probe = await breaker.admit()
    breaker.release(probe)  # e.g. refused for lack of funds: no charge, no outcome

    assert breaker.state is BreakerState.HALF_OPEN
    assert (await breaker.admit()).probe


async def test_outcomes_of_calls_admitted_before_a_state_change_are_ignored(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    hanging = [await breaker.admit() for _ in range(3)]  # admitted while closed
    await half_open(breaker, clock)
    probe = await breaker.admit()

    await breaker.record(hanging[0], ok=True)  # must not close the half-open circuit
    assert breaker.state is BreakerState.HALF_OPEN
    await breaker.record(hanging[1], ok=False)  # nor reopen it
    assert breaker.state is BreakerState.HALF_OPEN

    await breaker.record(probe, ok=True)
    assert breaker.state is BreakerState.CLOSED
    await breaker.record(hanging[2], ok=False)  # stale too: the count stays at zero
    await fail(breaker, THRESHOLD - 1)
    assert breaker.state is BreakerState.CLOSED


async def test_an_outcome_without_admission_counts_only_while_closed(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    for _ in range(THRESHOLD):
        await breaker.record(None, ok=False)
    assert breaker.state is BreakerState.OPEN
    clock.advance(RECOVERY_S + 1)
    probe = await breaker.admit()
    await breaker.record(None, ok=True)  # not the probe
    assert breaker.state is BreakerState.HALF_OPEN
    await breaker.record(probe, ok=True)
    assert breaker.state is BreakerState.CLOSED


async def test_a_release_of_a_stale_probe_does_not_free_the_current_one(
    breaker: CircuitBreaker, clock: FakeClock
) -> None:
    await half_open(breaker, clock)
    first = await breaker.admit()
    await breaker.record(first, ok=False)  # reopened
    clock.advance(RECOVERY_S + 1)
    second = await breaker.admit()
    assert second.probe

    breaker.release(first)

    await refused(breaker)  # `second` is still the one probe
    await breaker.record(second, ok=True)
    assert breaker.state is BreakerState.CLOSED
