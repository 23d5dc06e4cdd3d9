"""The shared metrics directory read while workers die: a dead worker's live-gauge files
leave `/metrics`, and a scrape survives another scrape deleting them at the same time.

Scrapes run at once (the metrics port serves each on its own thread; every worker's public
`/metrics` reads the same directory). Two that find the same dead worker both delete its
files, and one may list a file that the other deletes before it is read. With threads the
first race failed 64 of 3,000 paired scrapes (FileNotFoundError out of prometheus_client's
`mark_process_dead`, so HTTP 500); these tests force each interleaving.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final

import pytest
from prometheus_client import generate_latest
from prometheus_client.mmap_dict import MmapedDict
from wallet_infra.metrics import worker_samples
from wallet_infra.metrics.worker_samples import MULTIPROC_DIR_ENV, shared_samples_registry

DEAD_PID: Final = 4_000_000 - 7  # above any pid_max: never a running process
OWN_PID: Final = os.getpid()


def _write(path: Path, name: str, value: float) -> Path:
    values = MmapedDict(str(path))  # type: ignore[no-untyped-call]
    values.write_value(json.dumps([name, name, {}, "Connections the pool keeps."]), value, 0.0)  # type: ignore[no-untyped-call]
    values.close()  # type: ignore[no-untyped-call]
    return path


def _live_gauge(directory: Path, pid: int, value: float) -> Path:
    return _write(directory / f"gauge_liveall_{pid}.db", "wallet_db_pool_size", value)


def _scrape() -> str:
    return generate_latest(shared_samples_registry()).decode()


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MULTIPROC_DIR_ENV, str(tmp_path))
    return tmp_path


def test_a_scrape_deletes_only_the_dead_workers_live_gauge_files(directory: Path) -> None:
    alive = _live_gauge(directory, OWN_PID, 3)
    dead = _live_gauge(directory, DEAD_PID, 5)
    dead_counter = _write(directory / f"counter_{DEAD_PID}.db", "wallet_things_total", 2)

    scraped = _scrape()

    assert alive.exists()
    assert not dead.exists()
    assert dead_counter.exists()  # a counter's samples stay in the totals
    assert f'wallet_db_pool_size{{pid="{OWN_PID}"}} 3.0' in scraped
    assert f'pid="{DEAD_PID}"' not in scraped


def test_a_scrape_survives_another_deleting_the_dead_workers_files_first(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other scrape deletes the file between this one's listing and its delete."""
    dead = _live_gauge(directory, DEAD_PID, 5)
    running = worker_samples._running

    def other_scrape_deletes_first(pid: int) -> bool:
        if pid == DEAD_PID:
            dead.unlink()
        return running(pid)

    monkeypatch.setattr(worker_samples, "_running", other_scrape_deletes_first)

    assert f'pid="{DEAD_PID}"' not in _scrape()


def test_a_scrape_survives_a_listed_file_deleted_before_it_is_read(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker dies just after this scrape found it running; another scrape deletes its
    file after this one listed the directory and before it reads that file."""
    _live_gauge(directory, OWN_PID, 3)
    dead = _live_gauge(directory, DEAD_PID, 5)
    monkeypatch.setattr(worker_samples, "_running", lambda pid: True)
    read = MmapedDict.read_all_values_from_file

    def deleted_before_read(filename: str) -> object:
        if filename == str(dead):
            dead.unlink()
        return read(filename)

    monkeypatch.setattr(MmapedDict, "read_all_values_from_file", staticmethod(deleted_before_read))

    scraped = _scrape()

    assert not dead.exists()
    assert f'wallet_db_pool_size{{pid="{OWN_PID}"}} 3.0' in scraped
    assert f'pid="{DEAD_PID}"' not in scraped
