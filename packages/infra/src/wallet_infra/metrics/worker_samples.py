"""Metrics of several uvicorn workers: separate processes, whose samples meet in
PROMETHEUS_MULTIPROC_DIR (prometheus_client writes them there when the variable is set as
it is imported, i.e. in each worker it spawns), and which the process that started them
serves added up on the app's metrics port.

When the operator set no directory, a private temporary one is made for this run (before
the workers start, so they inherit it) and removed at exit.

Gauges in a `live*` mode (`wallet_infra.metrics.worker_gauges`) stand for workers now
running: before each read, the live-gauge files of workers that are gone (exited, crashed,
replaced by the supervisor) are deleted, so a dead worker's pool, bulkhead or breaker does
not stay on `/metrics`. The directory is one server's (its processes' ids are what tell the
living from the dead).

Several scrapes run at once (the metrics port's threads, every worker's public `/metrics`),
so two of them may delete the same dead worker's files: a file already gone is no error
(prometheus_client's `mark_process_dead` removes strictly, so it is not used). A scrape may
also list a file that another then deletes before it is read: prometheus_client's reader
skips a live-gauge file gone since the listing (since 0.21, this project's floor), and only
dead workers' live-gauge files are ever deleted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from prometheus_client.core import Metric

MULTIPROC_DIR_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"


def samples_shared() -> bool:
    """This process's samples go to (and are read from) PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get(MULTIPROC_DIR_ENV))


@contextmanager
def samples_shared_by_workers(workers: int) -> Iterator[None]:
    """While the block runs, the workers it starts share their samples (several workers
    and no directory set: a temporary one)."""
    if workers == 1 or samples_shared():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="wallet-metrics-") as directory:
        os.environ[MULTIPROC_DIR_ENV] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROC_DIR_ENV]


def shared_samples_registry() -> CollectorRegistry:
    """Every process's samples in PROMETHEUS_MULTIPROC_DIR, added up (live gauges: the
    running processes' only)."""
    registry = CollectorRegistry()
    registry.register(_LiveWorkersCollector(Path(os.environ[MULTIPROC_DIR_ENV])))
    return registry


class _LiveWorkersCollector(Collector):
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._files = prometheus_multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            None, path=str(directory)
        )

    def collect(self) -> Iterable[Metric]:
        _forget_dead_workers(self._directory)
        collected: Iterable[Metric] = self._files.collect()  # type: ignore[no-untyped-call]
        return collected


def _forget_dead_workers(directory: Path) -> None:
    """Delete the live-gauge files (`gauge_live<mode>_<pid>.db`) of processes no longer
    running; another scrape may be deleting them too."""
    own = os.getpid()
    for file in directory.glob("gauge_live*_*.db"):
        _, _, pid = file.stem.rpartition("_")
        if pid.isdigit() and int(pid) != own and not _running(int(pid)):
            file.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True
