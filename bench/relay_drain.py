"""Outbox drain throughput: how fast one `wallet-relay` empties a 50,000-event backlog.

Seeds unsent outbox rows directly in SQL, starts one relay process (publisher confirms
on, persistent mandatory messages to the quorum queues of the topology), and times until no row
is left unsent. `run()` is what `bench/run.py` calls; `python bench/relay_drain.py` runs
it alone against WALLET_DATABASE_URL / WALLET_AMQP_URL.

The relay drains every unsent row of the database, not only the seeded ones, and its
messages land in the queues: when `rabbitmqctl` reaches the node, the bench publishes to
a throwaway virtual host (deleted afterwards) so no real consumer sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
from wallet_testkit.amqp import scratch_vhost
from wallet_testkit.db import plain_url
from wallet_testkit.processes import module_subprocess, wallet_env

ROOT: Final = Path(__file__).resolve().parent.parent
TARGET_EVENTS_PER_S: Final = 5_000
POLL_S: Final = 0.1
DRAIN_TIMEOUT_S: Final = 600.0

# event_ids shaped like the app's UUIDv7 (time-ordered: a ms timestamp, then `n`), so rows
# sit in the heap in id order as real outbox rows do and claims read neighbouring pages.
_SEED: Final = """
INSERT INTO outbox (event_id, event_type, aggregate_id, user_id, occurred_at, payload,
                    traceparent)
SELECT (lpad(to_hex(ms + n / 4096), 12, '0') || '7' || lpad(to_hex(n % 4096), 3, '0')
        || '8' || substr(md5(random()::text), 1, 15))::uuid,
       (ARRAY['payment.created', 'payment.completed', 'payment.failed', 'refund.created',
              'deposit.completed'])[1 + n % 5],
       gen_random_uuid(),
       $2 || (n % 1000),
       now(),
       jsonb_build_object('transaction_id', gen_random_uuid(), 'type', 'PAYMENT',
                          'status', 'APPROVED', 'amount', 1000 + n, 'currency', 'USD',
                          'provider_id', gen_random_uuid(), 'external_reference', 'bill-' || n),
       '00-' || md5(n::text) || '-' || left(md5((n + 1)::text), 16) || '-01'
FROM generate_series(1, $1) AS n,
     (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms) AS base
"""
_CLEAN_UP: Final = "DELETE FROM outbox WHERE user_id LIKE $1"
_CLOCK_TICK_S: Final = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) the process has used, from /proc (None elsewhere).

    Next to the wall figure, which the other processes on a shared machine move, the
    relay's own CPU per event is the noise-robust one."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * _CLOCK_TICK_S


async def _any_sent_since(conn: asyncpg.Connection, since: Any) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at >= $1)", since)
    )


async def _any_unsent(conn: asyncpg.Connection) -> bool:
    # EXISTS on the partial index, not count(*): polling must not steal the CPU it measures.
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL)"))


async def _sent_span(conn: asyncpg.Connection, tag: str) -> tuple[int, float]:
    """How many seeded rows were sent, and seconds from the first to the last `sent_at`
    (the database's clock: no polling error in the figure)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, extract(epoch FROM max(sent_at) - min(sent_at)) AS span "
        "FROM outbox WHERE user_id LIKE $1 AND sent_at IS NOT NULL",
        tag + "%",
    )
    return int(row["n"]), float(row["span"] or 0.0)


async def run(
    dsn: str, amqp_url: str, events: int = 50_000, **relay_settings: Any
) -> dict[str, Any]:
    """Seed `events` unsent rows, drain them with one relay; returns the figures."""
    dsn = plain_url(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        tag = f"bench-relay-{uuid.uuid4().hex[:8]}-"
        await conn.execute(_SEED, events, tag)
        seeded_at = await conn.fetchval("SELECT clock_timestamp()")
        with (
            scratch_vhost(amqp_url, prefix="wallet-bench-") as url,
            tempfile.TemporaryFile() as log,
        ):
            env = wallet_env(
                database_url=dsn, amqp_url=url, log_format="json", log_level="warning"
            ) | wallet_env(**relay_settings)
            started = time.perf_counter()
            async with module_subprocess("wallet_relay", env, log, cwd=ROOT) as relay:
                deadline = started + DRAIN_TIMEOUT_S
                # CPU once the first events are sent: the start-up (imports, connections)
                # is left out of the per-event figure.
                cpu_at_start: float | None = None
                while await _any_unsent(conn):
                    if relay.returncode is not None or time.perf_counter() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"relay did not drain: {log.read().decode()[-2000:]}")
                    if cpu_at_start is None and await _any_sent_since(conn, seeded_at):
                        cpu_at_start = _cpu_s(relay.pid)
                    await asyncio.sleep(POLL_S)
                finished = time.perf_counter()
                cpu_at_end = _cpu_s(relay.pid)
        sent, drain_s = await _sent_span(conn, tag)
        await conn.execute(_CLEAN_UP, tag + "%")
    finally:
        await conn.close()
    rate = sent / drain_s if drain_s > 0 else float("inf")
    cpu_s = (
        cpu_at_end - cpu_at_start
        if cpu_at_start is not None and cpu_at_end is not None
        else float("nan")
    )
    return {
        "events": sent,
        "total_s": round(finished - started, 2),
        "drain_s": round(drain_s, 2),
        "events_per_s": round(rate),
        # Over drain_s, about: the events sent before the first poll saw one are counted
        # without their CPU, so this errs low by at most one poll's worth.
        "relay_cpu_us_per_event": round(cpu_s / sent * 1e6) if sent else float("nan"),
        "relay_cpu_share": round(cpu_s / drain_s, 2) if drain_s > 0 else float("nan"),
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "ok": rate >= TARGET_EVENTS_PER_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    dsn = os.environ.get("WALLET_DATABASE_URL", "postgresql://wallet:wallet@localhost:5432/wallet")
    amqp = os.environ.get("WALLET_AMQP_URL", "amqp://guest:guest@localhost:5672/")
    extra = {} if args.batch_size is None else {"relay_batch_size": args.batch_size}
    print(json.dumps(asyncio.run(run(dsn, amqp, args.events, **extra)), indent=2))


if __name__ == "__main__":
    main()
