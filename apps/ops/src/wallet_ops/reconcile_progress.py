"""How far a reconciliation walk got, on stderr: a progress bar on a terminal (rich),
a line every few seconds otherwise (logs, CI, a compose service).

The walk goes in payment-id order and the ids are UUIDv7, whose first 48 bits are the
creation time in milliseconds: the id just passed tells how much of the window is done,
without counting the window first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final, TextIO
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from wallet_domain.ports.reconcile_progress import ReconcileProgress

LOG_EVERY_S: Final = 5.0


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class WalkedWindow:
    """The share of [since, until) the walk has passed, from the id it just passed."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self.start, self.total = _millis(since), max(1, _millis(until) - _millis(since))
        self.walked = 0
        self.done = 0  # milliseconds of the window passed, never going back

    def advance(self, payment_id: UUID) -> None:
        self.walked += 1
        offset = (payment_id.int >> 80) - self.start  # an id of another kind: stays put
        if 0 <= offset <= self.total:
            self.done = max(self.done, offset)

    def moment(self) -> datetime:
        return datetime.fromtimestamp((self.start + self.done) / 1000, UTC)


class BarProgress(ReconcileProgress):
    """A rich progress bar over the window's time span, with the payments walked."""

    def __init__(self, window: WalkedWindow, bar: Progress) -> None:
        self._window = window
        self._bar = bar
        self._task = bar.add_task("reconciling", total=window.total, walked=0)

    def walked(self, payment_id: UUID) -> None:
        self._window.advance(payment_id)
        self._bar.update(self._task, completed=self._window.done, walked=self._window.walked)


class LogProgress(ReconcileProgress):
    """One line every `every_s` seconds: payments walked, the time reached, the share."""

    def __init__(
        self,
        window: WalkedWindow,
        emit: Callable[[str], None],
        *,
        every_s: float = LOG_EVERY_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window
        self._emit = emit
        self._every_s = every_s
        self._now = now
        self._started = self._last = now()

    def walked(self, payment_id: UUID) -> None:
        self._window.advance(payment_id)
        if self._now() - self._last >= self._every_s:
            self._last = self._now()
            self._emit(self.line())

    def line(self) -> str:
        window = self._window
        return (
            f"wallet-reconcile: {window.walked} payment(s) walked, up to "
            f"{window.moment().isoformat(timespec='seconds')} "
            f"({100 * window.done / window.total:.0f}% of the window), "
            f"{self._now() - self._started:.0f} s"
        )


@contextmanager
def progress_on(stream: TextIO, since: datetime, until: datetime) -> Iterator[ReconcileProgress]:
    """A bar if `stream` is a terminal, else log lines written to it."""
    window = WalkedWindow(since, until)
    if not stream.isatty():
        yield LogProgress(window, lambda line: print(line, file=stream, flush=True))
        return
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[walked]} payments"),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )
    with bar:
        yield BarProgress(window, bar)
