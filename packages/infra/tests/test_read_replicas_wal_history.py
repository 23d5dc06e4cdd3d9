"""The lag rule against the primary's sampled WAL positions (`WalHistory`), no server."""

from __future__ import annotations

import math

from wallet_infra.read_replicas.primary_wal import WalHistory


def _history(*samples: tuple[float, int], keep_s: float = 600.0) -> WalHistory:
    history = WalHistory(keep_s=keep_s)
    for at, lsn in samples:
        history.record(at, lsn)
    return history


def test_a_replica_that_replayed_the_latest_position_is_current() -> None:
    history = _history((0.0, 100), (1.0, 200), (2.0, 300))
    assert history.lag_s(300, now=2.4) == 0.0
    assert history.lag_s(350, now=2.4) == 0.0  # read after the sample: it may be ahead


def test_the_lag_is_the_age_of_the_oldest_position_not_replayed() -> None:
    history = _history((0.0, 100), (1.0, 200), (2.0, 300), (3.0, 400))
    assert history.lag_s(399, now=3.1) == 3.1 - 3.0  # one sample behind: a moment
    assert history.lag_s(300, now=3.1) == 3.1 - 3.0
    assert history.lag_s(250, now=3.1) == 3.1 - 2.0  # two behind
    assert history.lag_s(100, now=3.1) == 3.1 - 1.0  # three behind
    assert history.lag_s(250, now=5.0) == 5.0 - 2.0  # and it grows while nothing is replayed


def test_an_idle_primary_keeps_its_replicas_current_however_long() -> None:
    history = _history(*((float(t), 500) for t in range(0, 3600, 1)))
    assert history.lag_s(500, now=3600.0) == 0.0


def test_an_unmoved_position_counts_from_when_it_was_first_seen() -> None:
    history = _history((0.0, 100), (1.0, 200), (2.0, 200), (3.0, 200))
    assert history.lag_s(150, now=3.5) == 3.5 - 1.0


def test_a_replica_behind_every_known_position_is_behind_without_bound() -> None:
    first_check = _history((0.0, 100))
    assert math.isinf(first_check.lag_s(99, now=0.01))
    assert first_check.lag_s(100, now=0.01) == 0.0
    assert math.isinf(WalHistory().lag_s(100, now=0.0))  # the primary never read


def test_old_samples_go_but_the_newest_older_one_stays_as_the_bound() -> None:
    history = _history((0.0, 100), (5.0, 200), (20.0, 300), (21.0, 400), keep_s=10.0)
    assert history.lag_s(250, now=21.0) == 21.0 - 20.0
    # 5.0 is kept: a replica at its position is known to miss only what came at 20.0.
    assert history.lag_s(200, now=21.0) == 21.0 - 20.0
    # 0.0 is gone: one behind 5.0's position may be behind since long before it.
    assert math.isinf(history.lag_s(150, now=21.0))


def test_a_position_going_back_starts_the_history_over() -> None:
    """Another server answers as the primary (a failover): older positions mean nothing."""
    history = _history((0.0, 1_000), (1.0, 2_000), (2.0, 50))
    assert history.lag_s(50, now=2.5) == 0.0
    assert math.isinf(history.lag_s(40, now=2.5))


def test_while_the_primary_cannot_be_read_a_replica_is_behind_since_it_last_was() -> None:
    history = _history((0.0, 100))
    history.record(5.0, 100)  # read again, nothing written: still current
    assert history.lag_s(100, now=6.0) == 0.0
    history.lost()
    assert history.lag_s(100, now=7.5) == 2.5  # what it wrote since 5.0 is unknown
    history.record(8.0, 100)
    assert history.lag_s(100, now=8.5) == 0.0  # read again: known current
