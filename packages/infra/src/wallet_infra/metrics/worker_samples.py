"""Metrics of several uvicorn workers: separate processes, whose samples meet in
PROMETHEUS_MULTIPROC_DIR (prometheus_client writes them there when the variable is set as
it is imported, i.e. in each worker it spawns), and which the process that started them
serves added up on the app's metrics port.

When the operator set no directory, a private temporary one is made for this run (before
the workers start, so they inherit it) and removed at exit.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client import multiprocess as prometheus_multiprocess

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
    """Every process's samples in PROMETHEUS_MULTIPROC_DIR, added up."""
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
