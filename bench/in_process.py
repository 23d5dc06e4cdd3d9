"""The API's CPU per operation in-process: `python bench/in_process.py [--compare-root DIR]`.

The API's ASGI app (`make_app`, its lifespan run) is driven inside this process by
`--clients` concurrent clients: payments, replays of them, `GET /balance` and full first
`GET /transactions` pages (20 entries, as in the CPU table), its statements on a database of
its own (`bench_database`), its gateway the nginx stub. A figure is this process's CPU
(`time.process_time`) per request: the app's, its drivers' and its event loop's, plus the
clients' small share (an ASGI scope and two callables per request), without an HTTP
server or the request's own socket. The access lines go to a file, as the server bench's;
`--tracing on` exports every sampled span to the stub, as `make bench --tracing on` does.

What it is for: the server bench (`make bench`) reads each process's CPU from /proc while
the machine drifts, and on a shared two-core VM a run's rounds can differ by a third; a
change of a few percent is then only visible here. `--compare-root DIR` runs this same
script under another checkout's `.venv` (so its `wallet_*` packages), alternating the two
round by round (every other round in reverse order), and prints each side's median and
best round: the figure to judge a lever by, next to the server bench's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

import asyncpg
import cpu_phase as cpu
import uvloop
from database import bench_database
from procs import HOST
from seed import seed_full_pages, seed_wallets
from stub_gateway import stub_gateway

OPERATIONS: Final = ("payment", "replay", "balance", "page")
_WARM_UP: Final = 200
_PAGE_ROWS: Final = 20
_HERE: Final = Path(__file__).resolve()

Call = Callable[[str, str, dict[str, str], bytes], Awaitable[tuple[int, bytes]]]


def asgi_caller(app: Any) -> Call:
    """`call(method, path_and_query, headers, body)` -> (status, body), straight into `app`
    with an HTTP/1.1 scope like uvicorn's."""

    async def call(
        method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw_headers.append((b"content-length", b"%d" % len(body)))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": (HOST, 50000),
            "server": (HOST, 18000),
            "state": {},
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        return status, b"".join(chunks)

    return call


async def cpu_ms_per_request(
    request: Callable[[int], Awaitable[None]], total: int, clients: int
) -> float:
    """This process's CPU per request over `total` requests from `clients` at once."""
    started = time.process_time()
    await asyncio.gather(*(_client(request, c, total, clients) for c in range(clients)))
    return (time.process_time() - started) * 1000 / total


async def _client(
    request: Callable[[int], Awaitable[None]], first: int, total: int, step: int
) -> None:
    for n in range(first, total, step):
        await request(n)


def one_round(args: argparse.Namespace) -> dict[str, float]:
    """One round: every operation in `args.ops`, CPU ms per request."""
    with tempfile.TemporaryFile("w") as log:
        return uvloop.run(measure(args, log))


async def measure(args: argparse.Namespace, log: TextIO) -> dict[str, float]:
    run_id = uuid.uuid4().hex[:8]
    async with bench_database(run_id) as (dsn, _):
        conn = await asyncpg.connect(dsn)
        try:
            wallets = await seed_wallets(conn, "bench-", args.wallets)
            await seed_full_pages(conn, wallets, _PAGE_ROWS)
        finally:
            await conn.close()
        with stub_gateway(HOST, args.stub_port):
            os.environ.update(cpu.api_env(args, dsn, args.stub_port))
            os.environ.update(cpu.tracing_env(args.tracing, args.stub_port))
            return await _drive(args, wallets, run_id, log)


async def _drive(
    args: argparse.Namespace, wallets: Sequence[str], run_id: str, log: TextIO
) -> dict[str, float]:
    from wallet_api.main import make_app
    from wallet_infra.config.settings import Settings
    from wallet_infra.logging_setup import configure_logging
    from wallet_infra.startup_heap import freeze_startup_heap
    from wallet_infra.telemetry import configure_telemetry

    sys.stderr, stderr = log, sys.stderr  # the access lines: to a file, as a server's
    try:
        configure_logging(log_format="json", log_level=args.cpu_log_level)
        provider = configure_telemetry("wallet-api")  # what `serve_app` does (`OTEL_*`)
        app = make_app(settings=Settings())
        try:
            async with app.router.lifespan_context(app):
                freeze_startup_heap()
                return await _operations(args, asgi_caller(app), wallets, run_id)
        finally:
            if provider is not None:  # the last spans, while the stub still takes them
                provider.shutdown()
    finally:
        sys.stderr = stderr


async def _operations(
    args: argparse.Namespace, call: Call, wallets: Sequence[str], run_id: str
) -> dict[str, float]:
    sent: list[tuple[str, str, bytes]] = []

    async def expect(
        status: int, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> None:
        got, answer = await call(method, target, headers, body)
        if got != status:
            raise RuntimeError(f"{method} {target}: {got} {answer[:200]!r}")

    async def payment(n: int) -> None:
        user, key, body = wallets[n % len(wallets)], f"{run_id}-{n}", cpu.payment_body(n)
        await expect(201, "POST", f"/wallets/{user}/payments", cpu.headers(key), body)
        sent.append((user, key, body))

    async def replay(n: int) -> None:
        user, key, body = sent[n % len(sent)]
        await expect(201, "POST", f"/wallets/{user}/payments", cpu.headers(key), body)

    async def balance(n: int) -> None:
        await expect(200, "GET", f"/wallets/{wallets[n % len(wallets)]}/balance", cpu.headers())

    async def page(n: int) -> None:
        target = f"/wallets/{wallets[n % len(wallets)]}/transactions?limit={_PAGE_ROWS}"
        await expect(200, "GET", target, cpu.headers())

    requests = {"payment": payment, "replay": replay, "balance": balance, "page": page}
    for n in range(_WARM_UP):  # a first payment per wallet, caches, prepared statements
        await payment(10_000_000 + n)
    results = {}
    for operation in args.ops:
        request = requests[operation]
        for n in range(_WARM_UP):
            await request(5_000_000 + n)
        results[operation] = await cpu_ms_per_request(request, args.requests, args.clients)
    return results


def compare(args: argparse.Namespace) -> None:
    """`args.rounds` rounds of this script under each checkout, alternating."""
    roots = [Path.cwd(), Path(args.compare_root).resolve()]
    runs: dict[tuple[Path, str], list[float]] = {}
    for round_ in range(args.rounds):
        for root in roots if round_ % 2 == 0 else roots[::-1]:
            for operation, ms in child_round(root, args).items():
                runs.setdefault((root, operation), []).append(ms)
    print(summary(runs, roots, args.ops))


def child_round(root: Path, args: argparse.Namespace) -> dict[str, float]:
    """One round of this script run by `root`'s `.venv` (so with `root`'s packages)."""
    python = root / ".venv" / "bin" / "python"
    command = [str(python), str(_HERE), "--json", *_passed_on(args)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{root}: in-process round failed\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _passed_on(args: argparse.Namespace) -> list[str]:
    return [
        *("--ops", ",".join(args.ops)),
        *("--requests", str(args.requests)),
        *("--clients", str(args.clients)),
        *("--wallets", str(args.wallets)),
        *("--stub-port", str(args.stub_port)),
        *("--cpu-log-level", args.cpu_log_level),
        *("--tracing", args.tracing),
    ]


def summary(
    runs: dict[tuple[Path, str], list[float]], roots: Sequence[Path], ops: Sequence[str]
) -> str:
    """Per operation and checkout: the median and the best round, CPU ms per request."""
    lines = [f"{'operation':10s} {'checkout':40s} {'median':>8s} {'best':>8s}  rounds"]
    for operation in ops:
        for root in roots:
            values = runs.get((root, operation), [])
            if values:
                lines.append(
                    f"{operation:10s} {root!s:40s} {statistics.median(values):8.3f}"
                    f" {min(values):8.3f}  {len(values)}"
                )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=lambda v: v.split(","), default=list(OPERATIONS))
    parser.add_argument("--requests", type=int, default=2000, help="per operation and round")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--compare-root", help="another checkout (with its own .venv)")
    parser.add_argument("--stub-port", type=int, default=18200)
    parser.add_argument("--cpu-log-level", default="info")
    parser.add_argument("--tracing", choices=("off", "on"), default="off")
    parser.add_argument("--json", action="store_true", help="print one round as JSON")
    parser.add_argument("--api-port", type=int, default=18000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.ops) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations: {sorted(unknown)} (known: {', '.join(OPERATIONS)})")
    return args


def main() -> None:
    args = parse_args()
    if args.compare_root:
        compare(args)
        return
    if args.json:
        print(json.dumps(one_round(args)))
        return
    runs: dict[tuple[Path, str], list[float]] = {}
    for _ in range(args.rounds):
        for operation, ms in one_round(args).items():
            runs.setdefault((Path.cwd(), operation), []).append(ms)
    print(summary(runs, [Path.cwd()], args.ops))


if __name__ == "__main__":
    main()
