"""Outbox drain throughput: how fast one `wallet-relay` empties a 50,000-event backlog.

Seeds unsent outbox rows directly in SQL, starts one relay process (publisher confirms
on, persistent mandatory messages to the quorum queues of §8), and times until no row
is left unsent. `run()` is what `bench/run.py` calls; `python bench/relay_drain.py` runs
it alone against WALLET_DATABASE_URL / WALLET_AMQP_URL.

The relay drains every unsent row of the database, not only the seeded ones, and its
messages land in the queues: when `rabbitmqctl` reaches the node, the bench publishes to
a throwaway virtual host (deleted afterwards) so no real consumer sees them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

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


def _plain_dsn(dsn: str) -> str:
    return dsn.replace("postgresql+asyncpg://", "postgresql://", 1)


@contextlib.contextmanager
def _scratch_vhost(amqp_url: str) -> Iterator[str]:
    """`amqp_url` on a fresh virtual host if rabbitmqctl can make one, else unchanged."""
    ctl = shutil.which("rabbitmqctl")
    vhost = f"wallet-bench-{uuid.uuid4().hex[:8]}"
    if ctl is None or subprocess.run([ctl, "-q", "add_vhost", vhost], check=False).returncode:
        yield amqp_url
        return
    try:
        user = urlsplit(amqp_url).username or "guest"
        subprocess.run([ctl, "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
                       check=True)  # fmt: skip
        yield urlunsplit(urlsplit(amqp_url)._replace(path="/" + quote(vhost, safe="")))
    finally:
        subprocess.run([ctl, "-q", "delete_vhost", vhost], check=False)


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
    dsn = _plain_dsn(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        tag = f"bench-relay-{uuid.uuid4().hex[:8]}-"
        await conn.execute(_SEED, events, tag)
        with _scratch_vhost(amqp_url) as url, tempfile.TemporaryFile() as log:
            env = {
                **os.environ,
                "WALLET_DATABASE_URL": dsn,
                "WALLET_AMQP_URL": url,
                "WALLET_LOG_FORMAT": "json",
                "WALLET_LOG_LEVEL": "warning",
                **{f"WALLET_{k.upper()}": str(v) for k, v in relay_settings.items()},
            }
            started = time.perf_counter()
            relay = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "wallet_relay", env=env, cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                deadline = started + DRAIN_TIMEOUT_S
                while await _any_unsent(conn):
                    if relay.returncode is not None or time.perf_counter() > deadline:
                        log.seek(0)
                        raise RuntimeError(f"relay did not drain: {log.read().decode()[-2000:]}")
                    await asyncio.sleep(POLL_S)
                finished = time.perf_counter()
            finally:
                relay.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(relay.wait(), timeout=20)
                except TimeoutError:
                    relay.kill()
                    await relay.wait()
        sent, drain_s = await _sent_span(conn, tag)
        await conn.execute(_CLEAN_UP, tag + "%")
    finally:
        await conn.close()
    rate = sent / drain_s if drain_s > 0 else float("inf")
    return {
        "events": sent,
        "total_s": round(finished - started, 2),
        "drain_s": round(drain_s, 2),
        "events_per_s": round(rate),
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
