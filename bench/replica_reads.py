"""`make bench-replica`: GET /wallets/{user_id}/transactions throughput with and without a
read replica configured.

Two API processes side by side (ports 18000 and 18001, tracing off, one worker each) on
the same primary (WALLET_DATABASE_URL), the second with `WALLET_DATABASE_REPLICA_URLS`
naming the replica (`--replica-url`, default the local `.ci/run` one on port 5433, same
database). Both serve one seeded wallet's first page of 50 (200 rows); rounds alternate
between them so both see the same conditions. On one machine the replica shares the
cores with the primary, so this measures what routing costs, not a speed-up: the
replica's process does the reading instead of the primary's. The API's own CPU per
request (its process group, from /proc) is the routing cost a busy machine blurs least.
Seeds its own wallet (prefix `bench-replica-`); needs nothing else running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
import uuid

import asyncpg
import uvloop
from http_load import Connection, LoadResult, Response, run_load
from op_cpu import CpuMeter
from prometheus_client.parser import text_string_to_metric_families
from run import API_KEY, HOST, _dsn, _ensure_free, _process, _tracing_env, _wait_healthy
from seed import seed_history
from sqlalchemy.engine import make_url

HISTORY_ROWS = 200
PAGE = 50


def _default_replica_url() -> str:
    return make_url(_dsn()).set(port=5433).render_as_string(hide_password=False)


async def _replicated(replica_url: str, user_id: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    conn = await asyncpg.connect(replica_url)
    try:
        while not await conn.fetchval("SELECT count(*) = $2 FROM transactions WHERE user_id = $1",
                                      user_id, HISTORY_ROWS):  # fmt: skip
            if time.monotonic() > deadline:
                raise SystemExit(f"the replica did not show the seeded rows in {timeout_s}s")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def _readyz_in_use(port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = await Connection(HOST, port).request("GET", "/readyz", {})
        if b'"in_use":true' in response.body:
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"the API on port {port} never put its replica in use")


async def _load(port: int, user_id: str, total: int, concurrency: int) -> LoadResult:
    path = f"/wallets/{user_id}/transactions?limit={PAGE}"

    async def page(conn: Connection, n: int) -> Response:
        response = await conn.request("GET", path, {"X-API-Key": API_KEY})
        assert response.status == 200, response
        return response

    return await run_load(HOST, port, page, concurrency=concurrency, total=total)


async def _reads_split(metrics_port: int) -> dict[str, int]:
    """`wallet_db_reads_total` by target: how many reads the replica really served."""
    response = await Connection(HOST, metrics_port).request("GET", "/metrics", {})
    split = {}
    for family in text_string_to_metric_families(response.body.decode()):
        for sample in family.samples:
            if sample.name == "wallet_db_reads_total":
                split[sample.labels["target"]] = int(sample.value)
    return split


def _row(name: str, result: LoadResult) -> str:
    return (
        f"  {name:<22} {result.rate:8.0f} req/s   p50 {result.percentile(50):6.1f} ms"
        f"   p99 {result.percentile(99):6.1f} ms   ({result.count} requests)"
    )


async def main_async(args: argparse.Namespace) -> int:
    user_id = f"bench-replica-{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_dsn())
    try:
        await seed_history(conn, user_id, HISTORY_ROWS)
    finally:
        await conn.close()
    await _replicated(args.replica_url, user_id)
    base_env = {
        "WALLET_DATABASE_URL": _dsn(),
        "WALLET_API_KEYS": API_KEY,
        "WALLET_LOG_LEVEL": "warning",
        "WALLET_LOG_FORMAT": "json",
        "WALLET_RATE_LIMIT_PER_S": "0",
        "WALLET_RECOVERY_ENABLED": "false",
        "WALLET_HOLD_EXPIRY_ENABLED": "false",
        "WALLET_API_METRICS_PORT": "0",
        **_tracing_env("off"),
    }
    ports = {"primary only": args.api_port, "with a replica": args.api_port + 1}
    results = {name: LoadResult() for name in ports}
    cpu_s = dict.fromkeys(ports, 0.0)  # the API process group's CPU during its loads
    pids = {}
    with contextlib.ExitStack() as stack:
        for name, port in ports.items():
            _ensure_free(port)
            env = {**base_env, "WALLET_API_PORT": str(port)}
            if name == "with a replica":
                env["WALLET_DATABASE_REPLICA_URLS"] = args.replica_url
                env["WALLET_API_METRICS_PORT"] = str(port + 100)
            api = stack.enter_context(_process([sys.executable, "-m", "wallet_api"], env, name))
            pids[name] = api.pid
        for port in ports.values():
            await _wait_healthy(port)
        await _readyz_in_use(ports["with a replica"])
        for port in ports.values():  # warm-up: pools, prepared statements
            await _load(port, user_id, 200, args.concurrency)
        for _ in range(args.rounds):
            for name, port in ports.items():
                meter = CpuMeter.start(pids[name])
                load = await _load(port, user_id, args.total // args.rounds, args.concurrency)
                cpu_s[name] += meter.stop(load).api_cpu_us * load.count / 1e6
                results[name].merge(load)
        split = await _reads_split(ports["with a replica"] + 100)
    print(f"GET /wallets/{{user_id}}/transactions?limit={PAGE}, {args.concurrency} clients:")
    for name, result in results.items():
        print(f"{_row(name, result)}   API CPU {cpu_s[name] / result.count * 1e6:5.0f} µs/req")
    base, routed = results["primary only"].rate, results["with a replica"].rate
    print(f"  replica vs primary only: {routed / base - 1:+.1%} req/s")
    print(f"  reads of the replica API by target (warm-up included): {split}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replica-url", default=_default_replica_url())
    parser.add_argument("--api-port", type=int, default=18000)
    parser.add_argument("--total", type=int, default=6000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    sys.exit(uvloop.run(main_async(args)))


if __name__ == "__main__":
    main()
