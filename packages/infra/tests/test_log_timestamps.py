"""A log line's `timestamp`: what structlog's ISO UTC stamper would write, to the character."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import structlog
from wallet_infra import logging_setup
from wallet_infra.logging_setup import add_utc_timestamp

_NS = 1_000_000_000


def _structlog_would_write(nanoseconds: int) -> str:
    """structlog's `TimeStamper(fmt="iso", utc=True)` at that instant (whole microseconds)."""
    second, rest = divmod(nanoseconds, _NS)
    moment = datetime.fromtimestamp(second, tz=UTC).replace(microsecond=rest // 1000)
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "nanoseconds",
    [
        1_796_617_000 * _NS,  # a whole second: no fraction, as isoformat() leaves it out
        1_796_617_000 * _NS + 999,  # under a microsecond past it: still none
        1_796_617_000 * _NS + 1_000,  # one microsecond: the fraction, zero-padded
        1_796_617_000 * _NS + 123_456_789,
        1_796_617_019 * _NS + 999_999_999,  # the last microsecond of a minute
        1_798_761_599 * _NS + 500_000_000,  # the last second of 2026
        951_782_400 * _NS + 42_000,  # 2000-02-29
    ],
)
def test_the_stamp_is_structlogs_iso_utc_stamp(
    monkeypatch: pytest.MonkeyPatch, nanoseconds: int
) -> None:
    monkeypatch.setattr(time, "time_ns", lambda: nanoseconds)
    assert add_utc_timestamp(None, "info", {}) == {"timestamp": _structlog_would_write(nanoseconds)}


def test_a_new_second_is_formatted_anew(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-second cache never lends one second's text to the next."""
    for nanoseconds in (1_796_617_000 * _NS + 5_000, 1_796_617_001 * _NS + 5_000) * 2:
        monkeypatch.setattr(time, "time_ns", lambda at=nanoseconds: at)
        stamp = add_utc_timestamp(None, "info", {})["timestamp"]
        assert stamp == _structlog_would_write(nanoseconds)


def test_it_reads_the_same_clock_as_structlog() -> None:
    structlog_stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    before = structlog_stamp(None, "info", {})["timestamp"]
    ours = add_utc_timestamp(None, "info", {})["timestamp"]
    after = structlog_stamp(None, "info", {})["timestamp"]
    assert len(ours) in (len("2026-12-07T04:36:00Z"), len("2026-12-07T04:36:00.123456Z"))
    # ISO 8601 UTC with a fixed width sorts as time does; a whole second (no fraction)
    # is the only stamp shorter than the others, which keeps its place in that order.
    assert before.removesuffix("Z") <= ours.removesuffix("Z") <= after.removesuffix("Z")


def test_every_line_is_stamped_by_it() -> None:
    logging_setup.configure_logging(log_format="json", log_level="info")
    assert add_utc_timestamp in logging_setup._PROCESSORS
