"""Provider webhooks in broker mode: what the ingest accepts with confirms, and how long a
webhook takes from the provider's send to its effect in the database.

1. **Ingest** (`wallet-webhook-ingest` alone, no consumer): `--concurrency` keep-alive
   connections POST signed `payment.settled` webhooks (each its own id, signed before the
   clock starts) for `--ingest-s` seconds. Every 202 was confirmed by RabbitMQ first
   (persistent, mandatory, publisher confirms). Reported: webhooks/s accepted, latency
   p50 / p99, and the ingest's CPU per webhook (from /proc, robust to other load).
2. **End to end**: the mock gateway (`MOCK_WEBHOOK_URL` → the ingest) sends `--rate`
   `payment.refunded` webhooks per second for `--e2e-s` seconds (1 unit each, spread over
   `--payments` APPROVED payments made first through the API in this process), the webhook
   consumer applies them. Reported: p50 / p99 / max of `applied_at - created_at` in
   `provider_events`: from the mock stamping the event (just before its first POST) to
   the start of the transaction that applied it (the same machine's clock).

Runs against WALLET_DATABASE_URL (migrated) and WALLET_AMQP_URL, on a throwaway virtual
host when `rabbitmqctl` can make one. `make bench-webhooks` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any, Final

import asyncpg  # type: ignore[import-untyped]
import httpx
import uvloop
from wallet_testkit.amqp import scratch_vhost
from wallet_testkit.db import plain_url
from wallet_testkit.processes import free_port, module_subprocess, wallet_env
from wallet_testkit.webhooks import (
    QUICK_GATEWAY_SETTINGS,
    approved_payment,
    event_body,
    signed_headers,
)

BENCH_DIR: Final = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from http_load import Connection, Response, run_load  # noqa: E402

ROOT: Final = BENCH_DIR.parent
PATH: Final = "/webhooks/gateway"
START_TIMEOUT_S: Final = 60.0
_CLOCK_TICK_S: Final = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _CLOCK_TICK_S


async def _until(check: Any, *, what: str, log: IO[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{what} within {timeout_s}s:\n{log.read().decode()[-3000:]}")
        await asyncio.sleep(0.1)


async def _status(port: int, path: str) -> int:
    try:
        return (await Connection("127.0.0.1", port).request("GET", path, {})).status
    except OSError:
        return 0


@asynccontextmanager
async def _ingest(amqp_url: str, log: IO[bytes]) -> AsyncIterator[tuple[int, int]]:
    """The ingest process, ready; (port, pid)."""
    port = free_port()
    env = wallet_env(
        amqp_url=amqp_url,
        log_level="warning",
        log_format="json",
        webhook_mode="broker",
        webhook_ingest_port=port,
        webhook_ingest_metrics_port=0,
    )
    async with module_subprocess("wallet_webhook_ingest", env, log, cwd=ROOT) as process:

        async def ready() -> bool:
            return await _status(port, "/readyz") == 200

        await _until(ready, what="ingest not ready", log=log, timeout_s=START_TIMEOUT_S)
        yield port, process.pid


async def bench_ingest(amqp_url: str, *, concurrency: int, duration_s: float) -> None:
    # Enough pre-signed webhooks for the fastest run imaginable on this machine.
    count = int(duration_s * 5_000) + concurrency
    bodies: list[tuple[bytes, dict[str, str]]] = []
    for _ in range(count):
        event_id = f"evt_{uuid.uuid4().hex}"
        body = event_body(event_id)
        bodies.append((body, signed_headers(body, event_id)))

    async def post(connection: Connection, n: int) -> Response:
        body, headers = bodies[n]
        return await connection.request("POST", PATH, headers, body)

    with tempfile.TemporaryFile() as log:
        async with _ingest(amqp_url, log) as (port, pid):
            await run_load("127.0.0.1", port, post, concurrency=concurrency, total=concurrency)
            cpu_before = _cpu_s(pid)
            result = await run_load(
                "127.0.0.1", port, post, concurrency=concurrency, duration_s=duration_s
            )
            cpu_s = _cpu_s(pid) - cpu_before
    accepted = result.statuses.get(202, 0)
    print(
        f"ingest, confirms on, {concurrency} connections: {accepted / result.elapsed_s:,.0f} "
        f"webhooks/s accepted (p50 {result.percentile(50):.1f} ms, p99 "
        f"{result.percentile(99):.1f} ms), ingest CPU {cpu_s / max(accepted, 1) * 1e6:,.0f} "
        f"µs per webhook; statuses {dict(sorted(result.statuses.items()))}"
    )


async def _payments(database_url: str, amqp_url: str, count: int) -> list[str]:
    """`count` APPROVED payments of 1,000, made through the API in this process."""
    if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
        sys.modules.pop("mock_gateway", None)
        importlib.import_module("mock_gateway")
    from wallet_api.main import make_app as make_api
    from wallet_infra.config.api_keys import DEV_API_KEY
    from wallet_infra.config.settings import Settings
    from wallet_testkit.api import Api, MockGatewayClientProvider, lifespan_client

    from mock_gateway import Settings as MockGatewaySettings
    from mock_gateway import create_app as create_mock_gateway

    settings = Settings.model_validate(
        {
            "database_url": database_url,
            "amqp_url": amqp_url,
            "log_level": "warning",
            "api_metrics_port": 0,
            **QUICK_GATEWAY_SETTINGS,
        }
    )
    mock = create_mock_gateway(MockGatewaySettings())
    app = make_api(MockGatewayClientProvider(mock), settings=settings)
    async with lifespan_client(app, api_key=DEV_API_KEY) as client:
        api = Api(client, app)
        return [(await approved_payment(api, 1_000))[1] for _ in range(count)]


async def bench_end_to_end(
    database_url: str, amqp_url: str, *, rate: float, duration_s: float, payments: int
) -> None:
    payment_ids = await _payments(database_url, amqp_url, payments)
    with tempfile.TemporaryFile() as log:
        async with _ingest(amqp_url, log) as (ingest_port, _):
            consumer_port, mock_port = free_port(), free_port()
            consumer_env = wallet_env(
                database_url=database_url,
                amqp_url=amqp_url,
                log_level="warning",
                log_format="json",
                webhook_consumer_port=consumer_port,
            )
            mock_env = {
                "MOCK_GATEWAY_PORT": str(mock_port),
                "MOCK_WEBHOOK_URL": f"http://127.0.0.1:{ingest_port}{PATH}",
            }
            async with (
                module_subprocess("wallet_webhook_consumer", consumer_env, log, cwd=ROOT),
                module_subprocess("mock_gateway", mock_env, log, cwd=ROOT),
            ):
                for port in (consumer_port, mock_port):

                    async def healthy(port: int = port) -> bool:
                        return await _status(port, "/healthz") == 200

                    await _until(healthy, what="not healthy", log=log, timeout_s=START_TIMEOUT_S)
                event_ids = await _emit(mock_port, payment_ids, rate=rate, duration_s=duration_s)
                lags = await _lags(database_url, event_ids, log)
    lags.sort()
    p50, p99 = statistics.median(lags), lags[min(len(lags) - 1, round(0.99 * (len(lags) - 1)))]
    print(
        f"end to end (mock send -> applied), {len(event_ids)} webhooks at {rate:g}/s: "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms"
    )


async def _emit(port: int, payment_ids: list[str], *, rate: float, duration_s: float) -> list[str]:
    """Open loop: one admin call every 1/rate s; the ids the mock gave the events."""
    event_ids: list[str] = []
    total = int(rate * duration_s)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:

        async def one(n: int) -> None:
            data = {"payment_id": payment_ids[n % len(payment_ids)], "amount": 1}
            reply = await client.post(
                "/admin/webhooks", json={"type": "payment.refunded", "data": data}
            )
            reply.raise_for_status()
            event_ids.append(reply.json()["provider_event_id"])

        tasks = []
        for n in range(total):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return event_ids


async def _lags(database_url: str, event_ids: list[str], log: IO[bytes]) -> list[float]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:

        async def all_applied() -> bool:
            found = await connection.fetchval(
                "SELECT count(*) FROM provider_events WHERE provider_event_id = ANY($1)",
                event_ids,
            )
            return bool(found == len(event_ids))

        await _until(all_applied, what="webhooks not all applied", log=log, timeout_s=120.0)
        rows = await connection.fetch(
            "SELECT extract(epoch FROM applied_at - created_at) AS lag_s FROM provider_events"
            " WHERE provider_event_id = ANY($1)",
            event_ids,
        )
    finally:
        await connection.close()
    return [float(row["lag_s"]) for row in rows]


async def main_async(args: argparse.Namespace) -> None:
    database_url = os.environ.get(
        "WALLET_DATABASE_URL", "postgresql://wallet:wallet@localhost:5432/wallet"
    )
    base_amqp = os.environ.get("WALLET_AMQP_URL", "amqp://guest:guest@localhost:5672/")
    with scratch_vhost(base_amqp, prefix="wallet-bench-webhooks-") as amqp_url:
        await bench_ingest(amqp_url, concurrency=args.concurrency, duration_s=args.ingest_s)
    with scratch_vhost(base_amqp, prefix="wallet-bench-webhooks-") as amqp_url:
        await bench_end_to_end(
            database_url,
            amqp_url,
            rate=args.rate,
            duration_s=args.e2e_s,
            payments=args.payments,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--ingest-s", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--e2e-s", type=float, default=10.0)
    parser.add_argument("--payments", type=int, default=50)
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
