"""How long a request waits for a pool connection when the pool is saturated:
`python bench/pool_waits.py`.

`--tasks` tasks share a pool of `--pool-size` connections (the apps' engine), each
doing what a payment does with the pool: a statement, a pause for the gateway call
(`--pause-ms`), another statement, over and over for `--seconds`. It runs the engine's
pool (`persistence/fair_pool.py`: waiters served in the order they asked) and
SQLAlchemy's own `AsyncAdaptedQueuePool` (a returned connection goes to whoever asks
first) alternately, and prints per variant the checkout wait's percentiles, checkouts/s
and this process's CPU per checkout. The statement is `SELECT 1` on the database of
`WALLET_DATABASE_URL`: no tables needed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any, Final

import uvloop
from sqlalchemy import text
from sqlalchemy.pool import AsyncAdaptedQueuePool, Pool
from wallet_infra.persistence.driver import DriverStatement, _on_pool
from wallet_infra.persistence.engine import make_engine
from wallet_infra.persistence.fair_pool import FairAsyncQueuePool

VARIANTS: Final[dict[str, type[Pool]]] = {
    "in order (ours)": FairAsyncQueuePool,
    "first to ask (SQLAlchemy's)": AsyncAdaptedQueuePool,
}
_ONE: Final = DriverStatement(text("SELECT 1"))


def summary(waits: Sequence[float]) -> dict[str, float]:
    """p50, p99, p99.9 and the longest of `waits` (seconds), in ms."""
    ranked = sorted(waits)

    def at(share: float) -> float:
        return ranked[min(len(ranked) - 1, int(len(ranked) * share))] * 1000

    return {"p50": at(0.5), "p99": at(0.99), "p999": at(0.999), "max": ranked[-1] * 1000}


async def measure(
    dsn: str, poolclass: type[Pool], *, tasks: int, pool_size: int, seconds: float, pause_s: float
) -> dict[str, float]:
    """Checkout waits and CPU of `tasks` payment-shaped tasks on one pool."""
    engine = make_engine(
        dsn, pool_size=pool_size, max_overflow=0, pool_timeout_s=60, poolclass=poolclass
    )
    waits: list[float] = []
    stop = time.monotonic() + seconds

    async def statement() -> None:
        asked = time.monotonic()

        async def run(driver: Any) -> Any:
            waits.append(time.monotonic() - asked)
            return await driver.fetchval(_ONE.sql)

        await _on_pool(engine, "bench.pool", run)

    async def payment_shaped() -> None:
        while time.monotonic() < stop:
            await statement()
            await asyncio.sleep(pause_s)
            await statement()

    try:
        await statement()  # the pool's connections opened before the clock starts
        waits.clear()
        cpu, wall = time.process_time(), time.monotonic()
        await asyncio.gather(*(payment_shaped() for _ in range(tasks)))
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    finally:
        await engine.dispose()
    return summary(waits) | {
        "checkouts_per_s": len(waits) / wall,
        "cpu_us_per_checkout": cpu * 1e6 / len(waits),
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=128)
    parser.add_argument("--pool-size", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--pause-ms", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2, help="of each variant, alternating")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    dsn = os.environ.get("WALLET_DATABASE_URL", "postgresql://wallet:wallet@localhost:5432/wallet")
    print(
        f"{args.tasks} tasks on {args.pool_size} connections, {args.seconds:g} s per round; "
        "checkout waits in ms"
    )
    print(f"{'pool':30} {'p50':>7} {'p99':>7} {'p99.9':>7} {'max':>7} {'/s':>8} {'CPU us':>7}")
    for _ in range(args.rounds):
        for name, poolclass in VARIANTS.items():
            row = uvloop.run(
                measure(
                    dsn,
                    poolclass,
                    tasks=args.tasks,
                    pool_size=args.pool_size,
                    seconds=args.seconds,
                    pause_s=args.pause_ms / 1000,
                )
            )
            print(
                f"{name:30} {row['p50']:7.2f} {row['p99']:7.2f} {row['p999']:7.2f} "
                f"{row['max']:7.1f} {row['checkouts_per_s']:8.0f} {row['cpu_us_per_checkout']:7.1f}"
            )


if __name__ == "__main__":
    main()
