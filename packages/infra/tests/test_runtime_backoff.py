"""Backoff: exponential, jittered, capped, and reset by a success."""

from __future__ import annotations

import pytest
from wallet_infra.runtime.backoff import Backoff


def test_delays_double_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(initial_s=0.1, max_s=1.0)
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert backoff.failures == 8


def test_reset_starts_over() -> None:
    backoff = Backoff(initial_s=0.1, max_s=10.0)
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() <= 0.1


def test_a_long_outage_never_overflows() -> None:
    backoff = Backoff(initial_s=0.1, max_s=10.0)
    for _ in range(2_000):
        assert backoff.next_delay() <= 10.0


def test_jitter_spreads_relays_apart() -> None:
    delays = set()
    for _ in range(20):
        backoff = Backoff(initial_s=1.0, max_s=10.0)
        backoff.next_delay()
        delays.add(backoff.next_delay())
    assert len(delays) > 1


@pytest.mark.parametrize(("initial_s", "max_s"), [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0)])
def test_nonsense_bounds_are_refused(initial_s: float, max_s: float) -> None:
    with pytest.raises(ValueError, match="initial_s"):
        Backoff(initial_s=initial_s, max_s=max_s)
