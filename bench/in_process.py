"""The API's CPU per operation in-process: `python bench/in_process.py [--compare-root DIR]`.

The API's ASGI app (`make_app`, its lifespan run) is driven inside this process by
`--clients` concurrent clients: payments, replays of them (in the process that answered
them, and as in another one: `replay-elsewhere`), `GET /balance` and full first
`GET /transactions` pages (20 entries, as in the CPU table), its statements on a database of
its own (`bench_database`), its gateway the nginx stub. A figure is this process's CPU
(`time.process_time`) per request: the app's, its drivers' and its event loop's, plus the
clients' small share (an ASGI scope and two callables per request), without an HTTP
server or the request's own socket. The access lines go to a file, as the server bench's;
`--tracing on` exports every sampled span to the stub, as `make bench --tracing on` does,
and each slice ends by flushing them, so that it pays for exporting its own spans.

What it is for: the server bench (`make bench`) reads each process's CPU from /proc while
the machine drifts, and on a shared two-core VM a run's rounds can differ by a third; a
change of a few percent is then only visible here. `--compare-root DIR` runs this same
script under another checkout's `.venv` (so its `wallet_*` packages) next to this one's:
both apps are started once (each on a database of its own, one stub for both), warmed up,
then take `--rounds` short slices of `--requests` requests of each operation in turn, one
app right after the other (the first of each pair alternating), the idle one waiting. It
prints each side's median and best slice, and the median of the slices' paired ratios:
two figures taken seconds apart see the same machine, which is the figure to judge a lever
by. `--processes K` shares the slices among K pairs of app processes, as two processes of
the same code differ by a few percent; `--rounds 24 --processes 4 --requests 500` resolves
about 5% on the 2-core VM (an A/A run reads 0.95-1.03), where the drift is a third.
`--compare-tracing off|on` gives the second app that tracing mode (this checkout twice
when no `--compare-root` is given): `--tracing on --compare-tracing off` is what tracing
costs each operation, paired the same way.
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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, TextIO

import asyncpg
import cpu_phase as cpu
import uvloop
from database import bench_database
from procs import HOST, wait_healthy
from seed import seed_full_pages, seed_wallets
from stub_gateway import stub_gateway

# "replay elsewhere": a replay reaching a process that never saw its key answered (with
# several API processes, most replays but the one reaching the process that answered).
OPERATIONS: Final = ("payment", "replay", "replay-elsewhere", "balance", "page")
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
    request: Callable[[int], Awaitable[None]],
    total: int,
    clients: int,
    settle: Callable[[], object] | None = None,
) -> float:
    """This process's CPU per request over `total` requests from `clients` at once, and
    `settle` after them (tracing on: the spans exported, so that a slice pays for its own
    spans, not for the batch that happened to fill up during it)."""
    started = time.process_time()
    await asyncio.gather(*(_client(request, c, total, clients) for c in range(clients)))
    if settle is not None:
        settle()
    return (time.process_time() - started) * 1000 / total


async def _client(
    request: Callable[[int], Awaitable[None]], first: int, total: int, step: int
) -> None:
    for n in range(first, total, step):
        await request(n)


Request = Callable[[int], Awaitable[None]]
Settle = Callable[[], object] | None
# What is done with the running app: one round of every operation, or slices on command.
Work = Callable[[argparse.Namespace, dict[str, Request], Settle], Awaitable[dict[str, float]]]


def one_round(args: argparse.Namespace, log: TextIO) -> dict[str, float]:
    """One round: every operation in `args.ops`, CPU ms per request. Every round of a run
    logs to the same `log`: the loggers cached on first use keep the file they first met."""
    return uvloop.run(measure(args, log, _operations))


def serve(args: argparse.Namespace, log: TextIO) -> None:
    """`--serve`: the app started once, then slices as `compare` asks for them."""
    uvloop.run(measure(args, log, _slices_on_command))


async def measure(args: argparse.Namespace, log: TextIO, work: Work) -> dict[str, float]:
    run_id = uuid.uuid4().hex[:8]
    async with bench_database(run_id) as (dsn, _):
        conn = await asyncpg.connect(dsn)
        try:
            wallets = await seed_wallets(conn, "bench-", args.wallets)
            await seed_full_pages(conn, wallets, _PAGE_ROWS)
        finally:
            await conn.close()
        stub: AbstractContextManager[Any] = (
            nullcontext() if args.stub_running else stub_gateway(HOST, args.stub_port)
        )
        with stub:
            os.environ.update(cpu.api_env(args, dsn, args.stub_port))
            os.environ.update(cpu.tracing_env(args.tracing, args.stub_port))
            return await _drive(args, wallets, run_id, log, work)


async def _drive(
    args: argparse.Namespace,
    wallets: Sequence[str],
    run_id: str,
    log: TextIO,
    work: Work,
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
                forget = await _key_forgetter(app)
                call = asgi_caller(app)
                requests = await _warmed_up(call, wallets, run_id, args.ops, forget)
                return await work(args, requests, provider and provider.force_flush)
        finally:
            if provider is not None:  # the last spans, while the stub still takes them
                provider.shutdown()
    finally:
        sys.stderr = stderr


async def _key_forgetter(app: Any) -> Callable[[str, str], None]:
    """Makes the app's process forget a key it saw answered (`AnsweredKeys.forget`), so
    that a replay is answered as in another process; a no-op on code without that hint."""
    try:
        from wallet_domain.ports.answered_keys import AnsweredKeys
    except ImportError:
        return lambda user_id, key: None
    answered = await app.state.dishka_container.get(AnsweredKeys)
    forget: Callable[[str, str], None] = answered.forget
    return forget


async def _warmed_up(
    call: Call,
    wallets: Sequence[str],
    run_id: str,
    ops: Sequence[str],
    forget: Callable[[str, str], None],
) -> dict[str, Request]:
    """Each operation as a request `n`, after a first payment per wallet and a warm-up of
    each of `ops` (caches, prepared statements)."""
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

    async def replay_elsewhere(n: int) -> None:
        user, key, _ = sent[n % len(sent)]
        forget(user, key)
        await replay(n)

    async def balance(n: int) -> None:
        await expect(200, "GET", f"/wallets/{wallets[n % len(wallets)]}/balance", cpu.headers())

    async def page(n: int) -> None:
        target = f"/wallets/{wallets[n % len(wallets)]}/transactions?limit={_PAGE_ROWS}"
        await expect(200, "GET", target, cpu.headers())

    requests: dict[str, Request] = {
        "payment": payment,
        "replay": replay,
        "replay-elsewhere": replay_elsewhere,
        "balance": balance,
        "page": page,
    }
    for n in range(_WARM_UP):
        await payment(10_000_000 + n)
    for operation in ops:
        for n in range(_WARM_UP):
            await requests[operation](5_000_000 + n)
    return requests


async def _operations(
    args: argparse.Namespace, requests: dict[str, Request], settle: Settle
) -> dict[str, float]:
    results = {}
    for operation in args.ops:
        results[operation] = await cpu_ms_per_request(
            requests[operation], args.requests, args.clients, settle
        )
    return results


async def _slices_on_command(
    args: argparse.Namespace, requests: dict[str, Request], settle: Settle
) -> dict[str, float]:
    loop = asyncio.get_running_loop()

    async def read_line() -> str:
        # In a thread: the app's background jobs keep their loop while this one waits.
        line: str = await loop.run_in_executor(None, sys.stdin.readline)
        return line

    def write_line(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    await command_loop(read_line, write_line, requests, args.clients, settle)
    return {}


async def command_loop(
    read_line: Callable[[], Awaitable[str]],
    write_line: Callable[[str], None],
    requests: dict[str, Request],
    clients: int,
    settle: Settle = None,
) -> None:
    """Says `ready`, then for each `<operation> <count>` line runs that many requests
    (numbered on from the last, so every payment is a new one) and answers the CPU ms per
    request as JSON; ends at `quit` or at the end of its input."""
    write_line("ready")
    served = 0
    while (line := (await read_line()).strip()) not in ("", "quit"):
        operation, count = line.split()
        total = int(count)
        request = requests[operation]

        async def numbered(n: int, request: Request = request, first: int = served) -> None:
            await request(first + n)

        ms = await cpu_ms_per_request(numbered, total, clients, settle)
        served += total
        write_line(json.dumps({"operation": operation, "ms": ms}))


@dataclass(frozen=True)
class Side:
    """One app of an A/B: a checkout (run under its `.venv`) and its tracing mode."""

    root: Path
    tracing: str
    label: str


def sides(args: argparse.Namespace) -> list[Side]:
    """This checkout, then `--compare-root` (this one again if not given), the second with
    `--compare-tracing` if given: labelled by checkout, and by tracing if that differs."""
    roots = [Path.cwd(), Path(args.compare_root or Path.cwd()).resolve()]
    tracings = [args.tracing, args.compare_tracing or args.tracing]
    both = tracings[0] != tracings[1]
    return [
        Side(root, tracing, f"{root.name}, tracing {tracing}" if both else root.name)
        for root, tracing in zip(roots, tracings, strict=True)
    ]


def compare(args: argparse.Namespace) -> None:
    """Both apps up at once, `args.rounds` slices of each operation, the two apps taking
    each slice back to back (the first of each pair alternating)."""
    pair = sides(args)
    runs: dict[tuple[Side, str], list[float]] = {}
    with stub_gateway(HOST, args.stub_port):
        uvloop.run(wait_healthy(args.stub_port))
        # Two processes of the same code differ by a few percent (memory layout, hash
        # seeds): each pair of processes takes its share of the slices, and the pairs'
        # differences average out.
        for _ in range(args.processes):
            _slices(args, pair, runs, args.rounds // args.processes)
    print(summary(runs, pair, args.ops))
    print(paired_summary(runs, pair, args.ops))


def _slices(
    args: argparse.Namespace,
    pair: Sequence[Side],
    runs: dict[tuple[Side, str], list[float]],
    count: int,
) -> None:
    """`count` slices of each operation from a new app per checkout."""
    children = [_Child(side, args) for side in pair]
    try:
        for child in children:
            child.wait_ready()
        for slice_ in range(count):
            pair = children if slice_ % 2 == 0 else children[::-1]
            for operation in args.ops:
                for child in pair:
                    ms = child.run(operation, args.requests)
                    runs.setdefault((child.side, operation), []).append(ms)
    finally:
        for child in children:
            child.close()


class _Child:
    """This script in `--serve` mode under the side's `.venv` (so with its packages)."""

    def __init__(self, side: Side, args: argparse.Namespace) -> None:
        self.side = side
        # The child's stderr, for a failure's message; closed by `close()`.
        self._errors: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        python = side.root / ".venv" / "bin" / "python"
        command = [
            *(str(python), str(_HERE), "--serve", "--stub-running"),
            *passed_on(args, side),
        ]
        self._process = subprocess.Popen(
            command,
            cwd=side.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )

    def wait_ready(self) -> None:
        if self._line() != "ready":
            raise self._failed("did not start")

    def run(self, operation: str, count: int) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{operation} {count}\n")
        self._process.stdin.flush()
        answer = json.loads(self._line())
        ms: float = answer["ms"]
        return ms

    def close(self) -> None:
        if self._process.stdin is not None and self._process.poll() is None:
            try:
                self._process.stdin.write("quit\n")
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._errors.close()

    def _line(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise self._failed("ended")
        return line.strip()

    def _failed(self, what: str) -> RuntimeError:
        self._process.wait(timeout=60)
        self._errors.seek(0)
        return RuntimeError(
            f"{self.side.label}: the in-process app {what}\n{self._errors.read()[-2000:]}"
        )


def passed_on(args: argparse.Namespace, side: Side) -> list[str]:
    """The options of this run a side's `--serve` process takes, its tracing mode its own."""
    return [
        *("--ops", ",".join(args.ops)),
        *("--requests", str(args.requests)),
        *("--clients", str(args.clients)),
        *("--wallets", str(args.wallets)),
        *("--stub-port", str(args.stub_port)),
        *("--cpu-log-level", args.cpu_log_level),
        *("--tracing", side.tracing),
    ]


def paired_summary(
    runs: dict[tuple[Side, str], list[float]], pair: Sequence[Side], ops: Sequence[str]
) -> str:
    """Per operation: the median of the slices' ratios of the first side's CPU to the
    second's (below 1: the first is cheaper)."""
    first, second = pair
    lines = [f"{'operation':16s} {first.label} / {second.label}, median of paired slices"]
    for operation in ops:
        ratios = [
            a / b
            for a, b in zip(
                runs.get((first, operation), []), runs.get((second, operation), []), strict=True
            )
        ]
        if ratios:
            lines.append(f"{operation:16s} {statistics.median(ratios):.3f}  ({len(ratios)} slices)")
    return "\n".join(lines)


def summary(
    runs: dict[tuple[Side, str], list[float]], pair: Sequence[Side], ops: Sequence[str]
) -> str:
    """Per operation and side: the median and the best round, CPU ms per request."""
    lines = [f"{'operation':16s} {'app':40s} {'median':>8s} {'best':>8s}  rounds"]
    for operation in ops:
        for side in pair:
            values = runs.get((side, operation), [])
            if values:
                lines.append(
                    f"{operation:16s} {side.label:40s} {statistics.median(values):8.3f}"
                    f" {min(values):8.3f}  {len(values)}"
                )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=lambda v: v.split(","), default=list(OPERATIONS))
    parser.add_argument("--requests", type=int, default=2000, help="per operation and round")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1, help="with --compare-root: slices")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="with --compare-root: pairs of app processes the slices are shared among",
    )
    parser.add_argument("--compare-root", help="another checkout (with its own .venv)")
    parser.add_argument(
        "--compare-tracing",
        choices=("off", "on"),
        help="the second app's tracing (with or without --compare-root): what tracing costs",
    )
    parser.add_argument("--stub-port", type=int, default=18200)
    parser.add_argument("--cpu-log-level", default="info")
    parser.add_argument("--tracing", choices=("off", "on"), default="off")
    parser.add_argument("--json", action="store_true", help="print one round as JSON")
    parser.add_argument("--api-port", type=int, default=18000, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stub-running", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.processes <= args.rounds:
        parser.error("--processes: from 1 to --rounds (each pair of processes takes a slice)")
    unknown = set(args.ops) - set(OPERATIONS)
    if unknown:
        parser.error(f"unknown operations: {sorted(unknown)} (known: {', '.join(OPERATIONS)})")
    return args


def main() -> None:
    args = parse_args()
    if args.compare_root or args.compare_tracing:
        compare(args)
        return
    here = Side(Path.cwd(), args.tracing, str(Path.cwd()))
    runs: dict[tuple[Side, str], list[float]] = {}
    # The app's log, one file for the whole run (see `one_round`).
    with tempfile.TemporaryFile("w") as log:
        if args.serve:
            serve(args, log)
            return
        if args.json:
            print(json.dumps(one_round(args, log)))
            return
        for _ in range(args.rounds):
            for operation, ms in one_round(args, log).items():
                runs.setdefault((here, operation), []).append(ms)
    print(summary(runs, [here], args.ops))


if __name__ == "__main__":
    main()
