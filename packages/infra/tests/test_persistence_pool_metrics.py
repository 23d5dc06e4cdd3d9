"""The pool gauges the Database dashboard draws: read from the live pool at scrape time."""

from __future__ import annotations

from contextlib import AsyncExitStack

from prometheus_client import REGISTRY
from wallet_infra.persistence.engine import make_engine
from wallet_infra.persistence.pool_metrics import watch_pool


def _pool() -> dict[str, float | None]:
    names = ("size", "max_overflow", "checked_out", "overflow")
    return {name: REGISTRY.get_sample_value(f"wallet_db_pool_{name}") for name in names}


async def test_the_gauges_follow_the_connections_held_and_the_overflow(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=2, max_overflow=3)
    try:
        watch_pool(engine, max_overflow=3)
        async with engine.connect():
            pass  # one connection opened and returned
        assert _pool() == {"size": 2, "max_overflow": 3, "checked_out": 0, "overflow": -1}

        async with AsyncExitStack() as held:
            for _ in range(3):
                await held.enter_async_context(engine.connect())
            assert _pool() == {"size": 2, "max_overflow": 3, "checked_out": 3, "overflow": 1}
        assert _pool()["checked_out"] == 0
    finally:
        await engine.dispose()
