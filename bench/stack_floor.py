"""`make bench-floor`: the thinnest payment route the stack allows, its CPU per payment
per process group, and payments/s vs pgbench.

Runs bench/floor_app.py (raw ASGI on uvicorn, asyncpg's pool, one aiohttp call: the API's
own two statements around one gateway charge, nothing else) under the CPU phase's payment
load against the nginx stub gateway, on a database of its own, then pgbench on the same
statements. Whatever the API adds (validation, auth, idempotency replies, retries,
breaker, bulkhead, metrics, logs, tracing) can only cost more, so this is what "the API's
CPU per payment vs the floor" in `make bench` is read against. Needs what `make bench`
needs; starts and stops its own processes.
"""

from __future__ import annotations

import argparse
import os
import uuid

import asyncpg
import cpu_phase as cpu
import uvloop
from database import bench_database
from procs import HOST, ensure_free, wait_healthy
from run import HEADER, add_payment_load_args, pgbench_row, run_pgbench
from seed import seed_wallets
from stub_gateway import stub_gateway


async def main_async(args: argparse.Namespace) -> int:
    async with bench_database(uuid.uuid4().hex[:8]) as (dsn, database):
        os.environ["WALLET_DATABASE_URL"] = dsn
        conn = await asyncpg.connect(dsn)
        try:
            wallets = await seed_wallets(conn, "bench-", args.wallets)
        finally:
            await conn.close()
        ensure_free(args.stub_port)
        with stub_gateway(HOST, args.stub_port) as stub:
            await wait_healthy(args.stub_port)
            async with cpu.floor_server(
                args,
                dsn=dsn,
                database=database,
                gateway_port=args.stub_port,
                gateway_pgid=stub.pid,
                wallets=wallets,
                port=args.api_port,
            ) as floor:
                row = await cpu.floor_payments(args, floor, wallets)
        pgbench_tps = run_pgbench(args.wallets, args.pgbench_duration, args.pgbench_clients)
    print(f"\n{cpu.TABLE_HEADER}")
    print(cpu.table_line(row))
    print(f"\n{HEADER}")
    print(pgbench_row(pgbench_tps))
    print(f"\nfloor payments/s / pgbench = {row.load.result.rate / pgbench_tps:.2f}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_payment_load_args(parser)
    parser.add_argument("--stub-port", type=int, default=18200)
    parser.add_argument("--cpu-duration", type=float, default=15.0, help="payment load seconds")
    raise SystemExit(uvloop.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
