"""Consumer lag: from an event's commit to its audit_log row, under a steady payment rate.

`run(dsn, amqp_url, api_url, rate)` drives `rate` payments per second, open loop, through
the API at `api_url` (already running, accepting `api_key`, its gateway approving) for
`duration_s`, with a relay and an audit consumer of its own (started and stopped here,
on a throwaway virtual host when `rabbitmqctl` can make one, so no other consumer takes
its messages). It reports, for every event those payments produced, the lag from the
event's commit to `audit_log.received_at` (the audit insert's transaction time):
p50 / p99 / max in milliseconds.

The commit time is a lower bound read by `commit_clock` (the last poll before the row
became visible), so the figure overstates the true lag by a few ms at most. For
reference, `request_lag_*` measures from `outbox.occurred_at` instead, as this bench
did before: the API stamps it before its transaction (for `payment.created`, when the
request starts), so under load it adds the API's own queueing, which no relay or
consumer setting can remove. All clocks are this machine's. Before the load starts,
the relay drains any backlog of unsent outbox rows, which would otherwise count as lag.

`python bench/consumer_lag.py --rate 200` runs it alone against WALLET_DATABASE_URL /
WALLET_AMQP_URL and an API on --api-url.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import uvloop
from wallet_infra.messaging.topology import AUDIT_QUEUE_NAME
from wallet_testkit.amqp import scratch_vhost
from wallet_testkit.db import plain_url
from wallet_testkit.processes import free_port, module_subprocess, wallet_env

BENCH_DIR: Final = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from commit_clock import CommitClock, watch_commits  # noqa: E402
from http_load import Connection  # noqa: E402
from seed import seed_wallets  # noqa: E402

ROOT: Final = BENCH_DIR.parent
PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"
WALLETS: Final = 200
MAX_IN_FLIGHT: Final = 256
START_TIMEOUT_S: Final = 60.0
DRAIN_TIMEOUT_S: Final = 300.0
POLL_S: Final = 0.2


async def _until(check: Any, *, timeout_s: float, what: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{what} within {timeout_s}s:\n{log.read().decode()[-3000:]}")
        await asyncio.sleep(POLL_S)


async def _healthy(port: int) -> bool:
    try:
        response = await Connection("127.0.0.1", port).request("GET", "/healthz", {})
    except OSError:
        return False
    return response.status == 200


async def _drive(
    api_url: str, api_key: str, wallets: list[str], rate: float, duration_s: float
) -> dict[int, int]:
    """Start payment n at t0 + n / rate (open loop: a slow reply does not slow the rate),
    from a pool of keep-alive connections; returns the count of each HTTP status."""
    parts = urlsplit(api_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: list[Connection] = []
    statuses: dict[int, int] = {}
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    run_id = uuid.uuid4().hex[:8]

    async def pay(n: int) -> None:
        connection = idle.pop() if idle else Connection(host, port)
        body = json.dumps(
            {
                "provider_id": PROVIDER_ID,
                "external_reference": f"lag-{n}",
                "amount": 1,
                "currency": "USD",
            }
        ).encode()
        headers = {
            "X-API-Key": api_key,
            "Content-Type": "application/json",
            "Idempotency-Key": f"lag-{run_id}-{n}",
        }
        try:
            response = await connection.request(
                "POST", f"/wallets/{wallets[n % len(wallets)]}/payments", headers, body
            )
            statuses[response.status] = statuses.get(response.status, 0) + 1
            idle.append(connection)
        except OSError:
            statuses[0] = statuses.get(0, 0) + 1
            await connection.close()
        finally:
            in_flight.release()

    tasks = []
    start = time.perf_counter()
    for n in range(int(rate * duration_s)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await in_flight.acquire()
        tasks.append(asyncio.create_task(pay(n)))
    await asyncio.gather(*tasks)
    for connection in idle:
        await connection.close()
    return statuses


def _percentile(data: list[float], p: float) -> float:
    if not data:
        return float("nan")
    return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


async def run(
    dsn: str,
    amqp_url: str,
    api_url: str,
    rate: float,
    *,
    duration_s: float = 10.0,
    api_key: str = "bench-key",
) -> dict[str, Any]:
    """Drive `rate` payments/s for `duration_s`; returns the commit -> audit_log lag."""
    dsn = plain_url(dsn)
    conn = await asyncpg.connect(dsn)
    prefix = f"bench-lag-{uuid.uuid4().hex[:8]}-"
    try:
        wallets = await seed_wallets(conn, prefix, WALLETS)
        audit_port = free_port()
        with (
            scratch_vhost(amqp_url, prefix="wallet-bench-lag-") as url,
            tempfile.TemporaryFile() as log,
        ):
            env = wallet_env(
                database_url=dsn,
                amqp_url=url,
                log_format="json",
                log_level="warning",
                audit_port=audit_port,
            )
            async with (
                module_subprocess("wallet_audit_consumer", env, log, cwd=ROOT),
                module_subprocess("wallet_relay", env, log, cwd=ROOT),
            ):

                async def ready() -> bool:
                    return await _healthy(audit_port)

                async def no_backlog() -> bool:
                    return not await conn.fetchval(
                        "SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL)"
                    )

                await _until(ready, timeout_s=START_TIMEOUT_S, what="no healthy consumer", log=log)
                await _until(no_backlog, timeout_s=DRAIN_TIMEOUT_S, what="backlog left", log=log)
                # The drained backlog now sits in audit.queue: wait until the consumer has
                # worked through it, or its queueing would be measured as pipeline lag.
                broker = await aio_pika.connect(url)
                try:
                    channel = await broker.channel()

                    async def audit_queue_empty() -> bool:
                        queue = await channel.declare_queue(AUDIT_QUEUE_NAME, passive=True)
                        return queue.declaration_result.message_count == 0

                    await _until(
                        audit_queue_empty,
                        timeout_s=DRAIN_TIMEOUT_S,
                        what="audit backlog",
                        log=log,
                    )
                finally:
                    await broker.close()
                async with watch_commits(dsn, prefix) as commits:
                    started = time.perf_counter()
                    statuses = await _drive(api_url, api_key, wallets, rate, duration_s)
                    driven_s = time.perf_counter() - started

                    async def all_audited() -> bool:
                        # Indexed lookups only (a poll must not load the machine it
                        # measures): nothing of ours unsent, and every event the watcher
                        # saw commit is in the audit log.
                        if await conn.fetchval(
                            "SELECT EXISTS (SELECT 1 FROM outbox"
                            " WHERE sent_at IS NULL AND user_id LIKE $1)",
                            prefix + "%",
                        ):
                            return False
                        seen = commits.event_ids()
                        audited = await conn.fetchval(
                            "SELECT count(*) FROM audit_log WHERE event_id = ANY($1::uuid[])",
                            seen,
                        )
                        return bool(audited == len(seen))

                    await _until(
                        all_audited, timeout_s=DRAIN_TIMEOUT_S, what="events unaudited", log=log
                    )
        lags, request_lags = _lags(
            await conn.fetch(
                "SELECT o.event_id, o.occurred_at, a.received_at"
                " FROM outbox o JOIN audit_log a USING (event_id) WHERE o.user_id LIKE $1",
                prefix + "%",
            ),
            commits,
        )
    finally:
        await conn.close()
    return {
        "target_payments_per_s": rate,
        "payments_per_s": round(sum(statuses.values()) / driven_s, 1),
        "statuses": dict(sorted(statuses.items())),
        "events": len(lags),
        "commits_observed": len(commits),
        "lag_p50_ms": round(_percentile(lags, 50), 1),
        "lag_p99_ms": round(_percentile(lags, 99), 1),
        "lag_max_ms": round(lags[-1], 1) if lags else float("nan"),
        "request_lag_p50_ms": round(_percentile(request_lags, 50), 1),
        "request_lag_p99_ms": round(_percentile(request_lags, 99), 1),
    }


def _lags(rows: list[Any], commits: CommitClock) -> tuple[list[float], list[float]]:
    """Sorted commit -> audit and occurred_at -> audit lags (ms). A commit comes after
    its occurred_at, so that is the bound for a row the clock never saw (none should)."""
    lags, request_lags = [], []
    for row in rows:
        committed = max(
            row["occurred_at"], commits.lower_bound(row["event_id"]) or row["occurred_at"]
        )
        lags.append((row["received_at"] - committed).total_seconds() * 1000)
        request_lags.append((row["received_at"] - row["occurred_at"]).total_seconds() * 1000)
    return sorted(lags), sorted(request_lags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="payments per second")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", default="dev-key")
    args = parser.parse_args()
    dsn = os.environ.get("WALLET_DATABASE_URL", "postgresql://wallet:wallet@localhost:5432/wallet")
    amqp = os.environ.get("WALLET_AMQP_URL", "amqp://guest:guest@localhost:5672/")
    figures = uvloop.run(
        run(dsn, amqp, args.api_url, args.rate, duration_s=args.duration, api_key=args.api_key)
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
