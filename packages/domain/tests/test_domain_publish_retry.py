"""PublishRetry: the wait before an unconfirmed event is offered again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wallet_domain.model.publish_retry import PublishRetry


def test_the_delay_doubles_per_attempt_from_the_base_up_to_the_cap() -> None:
    retry = PublishRetry(base=timedelta(seconds=1), cap=timedelta(seconds=60))
    delays = [retry.delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]


def test_an_event_failing_for_months_still_waits_the_cap() -> None:
    retry = PublishRetry(base=timedelta(hours=6), cap=timedelta(days=1))
    assert retry.delay(10_000_000) == timedelta(days=1)  # no overflow


@pytest.mark.parametrize(
    ("base_s", "cap_s"), [(0, 1), (-1, 1), (2, 1)], ids=["zero", "negative", "cap-below-base"]
)
def test_the_base_is_positive_and_the_cap_not_below_it(base_s: float, cap_s: float) -> None:
    with pytest.raises(ValueError, match="base"):
        PublishRetry(base=timedelta(seconds=base_s), cap=timedelta(seconds=cap_s))


def test_attempts_count_from_one() -> None:
    retry = PublishRetry(base=timedelta(seconds=1), cap=timedelta(seconds=1))
    with pytest.raises(ValueError, match="attempts"):
        retry.delay(0)
