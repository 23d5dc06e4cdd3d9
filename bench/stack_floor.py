"""`make bench-floor`: payments/s of the thinnest route the stack allows, vs pgbench.

Runs bench/floor_app.py (uvicorn + asyncpg + httpx, the API's own two statements, nothing
else) under the same load, mock gateway, wallets and pgbench script as `make bench`'s
payment phase, and prints the same ratio. Whatever the API adds (validation, auth,
idempotency replies, retries, breaker, bulkhead, metrics, logs, tracing) can only lower
it, so this is the ceiling of `payments/s vs pgbench` for any API built on these libraries
on this machine. Needs what `make bench` needs; starts and stops its own processes.
"""

from __future__ import annotations

import argparse
import sys
import uuid

import asyncpg
import uvloop
from run import (
    HEADER,
    HOST,
    _dsn,
    _ensure_free,
    _process,
    _row,
    _wait_healthy,
    add_payment_load_args,
    bench_payments,
    mock_gateway,
    pgbench_row,
    run_pgbench,
)
from seed import seed_wallets


async def main_async(args: argparse.Namespace) -> int:
    conn = await asyncpg.connect(_dsn())
    try:
        wallets = await seed_wallets(conn, "bench-", args.wallets)
    finally:
        await conn.close()
    _ensure_free(args.api_port)
    _ensure_free(args.gateway_port)
    floor_env = {
        "WALLET_DATABASE_URL": _dsn(),
        "FLOOR_GATEWAY_URL": f"http://{HOST}:{args.gateway_port}",
        "FLOOR_POOL_SIZE": str(args.pool_size),
    }
    uvicorn = [
        *(sys.executable, "-m", "uvicorn", "floor_app:app", "--app-dir", "bench"),
        *("--host", HOST, "--port", str(args.api_port), "--workers", str(args.api_workers)),
        *("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"),
    ]
    run_id = uuid.uuid4().hex[:8]
    with (
        mock_gateway(args.gateway_port),
        _process(uvicorn, floor_env, "floor-app"),
    ):
        await _wait_healthy(args.gateway_port)
        await _wait_healthy(args.api_port)
        await bench_payments(args.api_port, wallets, args.concurrency, 3, f"floor-warm-{run_id}")
        payments, _ = await bench_payments(
            args.api_port, wallets, args.concurrency, args.duration, f"floor-{run_id}"
        )
    pgbench_tps = run_pgbench(args.wallets, args.pgbench_duration, args.pgbench_clients)
    print(f"\n{HEADER}")
    print(_row("floor payment", payments))
    print(pgbench_row(pgbench_tps))
    print(f"\nfloor payments/s / pgbench = {payments.rate / pgbench_tps:.2f} (the API's ceiling)")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_payment_load_args(parser)
    parser.add_argument("--pool-size", type=int, default=8, help="connections per worker")
    raise SystemExit(uvloop.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
