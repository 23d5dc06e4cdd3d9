"""Review repro (25987df): two scrapes of the shared metrics directory that both find the
same dead worker race in prometheus_client's `mark_process_dead` (glob, then `os.remove`):
the second `os.remove` raises FileNotFoundError out of `collect`, so that scrape fails
(HTTP 500 on the metrics port's threaded server or on a worker's public `/metrics`).

Concurrent scrapes are ordinary: the metrics port serves each on its own thread (two
Prometheus replicas), and every worker's public `/metrics` reads the same directory. With
real threads the race hit 64 of 3,000 paired scrapes here; this test forces the one
interleaving: the other scrape removes the file between this one's glob and its remove.
"""

from __future__ import annotations

import glob as glob_module
import os
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.mmap_dict import MmapedDict
from wallet_infra.metrics.worker_samples import MULTIPROC_DIR_ENV, shared_samples_registry

DEAD_PID = 4_000_000 - 7  # above any pid_max: never a running process


def _dead_workers_live_gauge(directory: Path) -> Path:
    path = directory / f"gauge_livesum_{DEAD_PID}.db"
    values = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    key = '["wallet_db_pool_size", "wallet_db_pool_size", {}, "Connections the pool keeps."]'
    values.write_value(key, 3.0, 0.0)  # type: ignore[no-untyped-call]
    values.close()  # type: ignore[no-untyped-call]
    return path


@pytest.mark.xfail(
    strict=True,
    reason="mark_process_dead's os.remove is not tolerant of a concurrent scrape removing "
    "the same dead worker's file first: FileNotFoundError fails the scrape",
)
def test_a_scrape_racing_another_over_a_dead_workers_files_still_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROC_DIR_ENV, str(tmp_path))
    _dead_workers_live_gauge(tmp_path)
    real_glob = glob_module.glob

    def glob_then_other_scrape_removes(pattern: str) -> list[str]:
        found = real_glob(pattern)
        if f"_{DEAD_PID}.db" in pattern:
            for name in found:  # the concurrent scrape's os.remove, done first
                if os.path.exists(name):
                    os.remove(name)
        return found

    monkeypatch.setattr(glob_module, "glob", glob_then_other_scrape_removes)

    generate_latest(shared_samples_registry())  # raises FileNotFoundError today
