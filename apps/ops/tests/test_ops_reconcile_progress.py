"""Progress of a reconciliation walk on stderr: a bar on a terminal, a line every few
seconds otherwise, both measuring the window by the time in the UUIDv7 ids walked."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from uuid import UUID

from wallet_ops.reconcile_progress import (
    BarProgress,
    LogProgress,
    WalkedWindow,
    progress_on,
)

SINCE = datetime(2026, 12, 6, 10, tzinfo=UTC)
UNTIL = SINCE + timedelta(hours=1)


def _id_at(moment: datetime, n: int = 0) -> UUID:
    """A UUIDv7-shaped id made at `moment`."""
    return UUID(int=(int(moment.timestamp() * 1000) << 80) | (0x7 << 76) | n)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_log_lines_come_every_few_seconds_with_the_share_of_the_window_walked() -> None:
    clock = [0.0]
    lines: list[str] = []
    progress = LogProgress(
        WalkedWindow(SINCE, UNTIL), lines.append, every_s=5, now=lambda: clock[0]
    )

    progress.walked(_id_at(SINCE + timedelta(minutes=6)))
    clock[0] = 4.0
    progress.walked(_id_at(SINCE + timedelta(minutes=12)))
    assert lines == []  # not yet 5 s
    clock[0] = 5.0
    progress.walked(_id_at(SINCE + timedelta(minutes=15)))
    progress.walked(UUID(int=1))  # an id of another kind: counted, the position kept

    assert lines == [
        "wallet-reconcile: 3 payment(s) walked, up to 2026-12-06T10:15:00+00:00 "
        "(25% of the window), 5 s"
    ]
    assert progress.line().startswith(
        "wallet-reconcile: 4 payment(s) walked, up to 2026-12-06T10:15"
    )


def test_a_terminal_gets_a_bar_anything_else_log_lines() -> None:
    terminal, log = Terminal(), io.StringIO()
    with progress_on(terminal, SINCE, UNTIL) as on_terminal:
        assert isinstance(on_terminal, BarProgress)
        for minute in range(60):
            on_terminal.walked(_id_at(SINCE + timedelta(minutes=minute), minute))
    with progress_on(log, SINCE, UNTIL) as on_log:
        assert isinstance(on_log, LogProgress)

    assert "reconciling" in terminal.getvalue()
    assert log.getvalue() == ""  # nothing yet: the first line comes after a few seconds
