"""Deadline: an absolute monotonic instant, with the remaining budget never negative."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from wallet_domain import deadline as deadline_module
from wallet_domain.deadline import Deadline


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    clock = SimpleNamespace(value=1_000.0)
    monkeypatch.setattr(deadline_module, "time", SimpleNamespace(monotonic=lambda: clock.value))
    return clock


def test_after_is_relative_to_the_monotonic_clock(now: SimpleNamespace) -> None:
    assert Deadline.after(2.5) == Deadline(1_002.5)


def test_remaining_counts_down_and_stops_at_zero(now: SimpleNamespace) -> None:
    deadline = Deadline.after(10)
    assert deadline.remaining() == 10
    assert not deadline.expired
    now.value += 4
    assert deadline.remaining() == 6
    now.value += 6
    assert deadline.remaining() == 0.0
    assert deadline.expired
    now.value += 100
    assert deadline.remaining() == 0.0
    assert deadline.expired


def test_zero_budget_is_already_expired(now: SimpleNamespace) -> None:
    assert Deadline.after(0).expired


def test_real_clock_deadline_in_the_future_is_not_expired() -> None:
    deadline = Deadline.after(3_600)
    assert 0 < deadline.remaining() <= 3_600
    assert not deadline.expired
    assert Deadline.after(-1).expired


def test_deadline_is_immutable() -> None:
    with pytest.raises(AttributeError):
        Deadline(1.0).expires_at = 2.0  # type: ignore[misc]
