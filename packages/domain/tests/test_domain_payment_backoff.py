"""PaymentBackoff: a payment set aside waits a doubling, capped delay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from wallet_domain.model.payment_backoff import PaymentBackoff

NOW = datetime(2026, 1, 1, tzinfo=UTC)
A, B, C = UUID(int=1), UUID(int=2), UUID(int=3)


def test_the_delay_doubles_each_time_up_to_the_cap() -> None:
    backoff = PaymentBackoff(base=timedelta(seconds=30), cap=timedelta(minutes=3))

    delays = [backoff.set_aside(A, NOW) - NOW for _ in range(5)]

    assert delays == [timedelta(seconds=s) for s in (30, 60, 120, 180, 180)]


def test_a_payment_waits_only_inside_its_delay() -> None:
    backoff = PaymentBackoff(base=timedelta(seconds=30), cap=timedelta(minutes=3))
    backoff.set_aside(A, NOW)

    assert backoff.waiting(NOW + timedelta(seconds=29)) == [A]
    assert backoff.waiting(NOW + timedelta(seconds=30)) == []
    assert backoff.tracked() == [A], "due again, but still tracked until it settles"


def test_a_settled_payment_is_forgotten_and_starts_over() -> None:
    backoff = PaymentBackoff(base=timedelta(seconds=30), cap=timedelta(minutes=3))
    backoff.set_aside(A, NOW)
    backoff.set_aside(A, NOW)
    backoff.forget(A)

    assert len(backoff) == 0
    assert backoff.set_aside(A, NOW) == NOW + timedelta(seconds=30)


def test_keep_only_forgets_the_payments_settled_elsewhere() -> None:
    backoff = PaymentBackoff(base=timedelta(seconds=30), cap=timedelta(minutes=3))
    for payment_id in (A, B, C):
        backoff.set_aside(payment_id, NOW)

    backoff.keep_only({B})

    assert backoff.tracked() == [B]


def test_memory_is_bounded_by_forgetting_the_payment_due_soonest() -> None:
    backoff = PaymentBackoff(base=timedelta(seconds=30), cap=timedelta(hours=1), max_tracked=2)
    backoff.set_aside(A, NOW)
    backoff.set_aside(A, NOW)  # A: due in 60 s
    backoff.set_aside(B, NOW)  # B: due in 30 s, the soonest
    backoff.set_aside(C, NOW + timedelta(seconds=5))  # C: due in 35 s

    assert len(backoff) == 2
    assert sorted(backoff.waiting(NOW)) == [A, C]


@pytest.mark.parametrize(
    ("base", "cap", "tracked"),
    [
        (timedelta(0), timedelta(1), 1),
        (timedelta(2), timedelta(1), 1),
        (timedelta(1), timedelta(1), 0),
    ],
)
def test_nonsense_limits_are_refused(base: timedelta, cap: timedelta, tracked: int) -> None:
    with pytest.raises(ValueError, match="base"):
        PaymentBackoff(base=base, cap=cap, max_tracked=tracked)
