"""Connection pool gauges on the process's default registry (the API's `/metrics`).

- `wallet_db_pool_size`: connections the pool keeps (`WALLET_DB_POOL_SIZE`).
- `wallet_db_pool_max_overflow`: extra connections it may open under load.
- `wallet_db_pool_checked_out`: connections a request or job holds now.
- `wallet_db_pool_overflow`: connections open beyond the pool size now (negative while
  the pool has not opened all of its own yet, as SQLAlchemy counts it).

Read at scrape time from the pool of the most recently built engine (one per process; tests
build many, the last one is the live one), so the payment path pays nothing for them. A
pool whose checked-out count stays at size + max overflow makes requests wait up to the
pool timeout for a connection. With `PROMETHEUS_MULTIPROC_DIR` (several API workers, each
with its own pool) each worker copies them into the shared directory (`WORKERS`,
`wallet_infra.metrics.worker_gauges`), one series per worker (a `pid` label): the
utilisation alert reads each worker's pool, since one exhausted pool fails that worker's
requests while the others have connections to spare.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool

from wallet_infra.metrics.worker_gauges import WorkerGauges

if TYPE_CHECKING:
    from prometheus_client.core import Metric
    from sqlalchemy.ext.asyncio import AsyncEngine


class _PoolCollector(Collector):
    def __init__(self) -> None:
        self._pool: weakref.ref[QueuePool] | None = None
        self._max_overflow = 0

    def watch(self, engine: AsyncEngine, *, max_overflow: int) -> None:
        pool = engine.sync_engine.pool
        if isinstance(pool, QueuePool):  # NullPool/StaticPool (tests) have nothing to show
            self._pool = weakref.ref(pool)
            self._max_overflow = max_overflow

    def collect(self) -> Iterator[Metric]:
        pool = self._pool() if self._pool is not None else None
        if pool is None:
            return
        values = {
            "size": ("Connections the pool keeps.", pool.size()),
            "max_overflow": ("Connections it may open beyond its size.", self._max_overflow),
            "checked_out": ("Connections held by a request or job now.", pool.checkedout()),
            "overflow": ("Connections open beyond the pool size now.", pool.overflow()),
        }
        for name, (documentation, value) in values.items():
            yield GaugeMetricFamily(f"wallet_db_pool_{name}", documentation, value=float(value))


POOL: Final = _PoolCollector()
REGISTRY.register(POOL)
WORKERS: Final = WorkerGauges(POOL, default_mode="liveall")


def watch_pool(engine: AsyncEngine, *, max_overflow: int) -> None:
    """Expose this engine's pool on the default registry."""
    POOL.watch(engine, max_overflow=max_overflow)
