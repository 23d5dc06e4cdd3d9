"""`make bench`: first the API's CPU per operation (payment, replay, balance, history page)
per process group against a stub gateway, next to the floor route's (`cpu_phase.py`);
then payment throughput vs pgbench, replay latency, deep-page latency, and
reads and fail-fast payments while the gateway hangs behind an open circuit; transfers/s
(spread wallets, and one hot receiver) with CPU per transfer, and hold + complete pairs/s
with CPU per pair, each vs pgbench. `--phases` picks some of the load phases alone
(`transfers`, `holds`, `payments,holds`, ...) on a fresh API: nothing else is seeded or run.

Creates, migrates and at the end drops its own database on the PostgreSQL server of
WALLET_DATABASE_URL (default the local dev server). Starts (and stops) the nginx stub
gateway (port 18200; installs Debian's nginx-light if missing), its own mock gateway
(happy mode, no latency) and API processes on ports 18100 / 18000. Needs nothing else
running. Seeds its own wallets (prefix `bench-`). `--phases cpu` runs the CPU table alone;
`--compare-root DIR` measures another checkout's API in the same run, round by round.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from contextlib import AbstractContextManager
from pathlib import Path

import asyncpg
import consumer_lag
import cpu_phase as cpu
import relay_drain
import uvloop
from database import bench_database
from gateway_outage import bench_gateway_outage
from holds import bench_holds
from http_load import Connection, LoadResult, Response, run_load
from op_cpu import CpuMeter, MeasuredLoad
from pgbench_script import hold_script, payment_script, transfer_script
from procs import ensure_free, process, wait_healthy
from seed import cursor_at_depth, seed_full_pages, seed_history, seed_wallets
from stub_gateway import stub_gateway
from transfers import bench_transfers

ROOT = Path(__file__).resolve().parent.parent
# One set of request helpers for every phase (the CPU table's module holds them).
PROVIDER_ID, API_KEY = cpu.PROVIDER_ID, cpu.API_KEY
_headers, _payment_body = cpu.headers, cpu.payment_body
HOST = "127.0.0.1"
LOAD_PHASES = ("cpu", "payments", "transfers", "holds")


def _dsn() -> str:
    return os.environ.get("WALLET_DATABASE_URL", "postgresql://wallet:wallet@localhost:5432/wallet")


_process = process


def mock_gateway(port: int) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """The mock gateway every payment phase charges: happy mode, no added latency."""
    env = {
        "MOCK_GATEWAY_MODE": "happy",
        "MOCK_GATEWAY_PORT": str(port),
        "MOCK_GATEWAY_LOG_LEVEL": "warning",
    }
    return _process([sys.executable, "-m", "mock_gateway"], env, "mock-gateway")


_ensure_free = ensure_free
_wait_healthy = wait_healthy


def _amqp_url() -> str:
    return os.environ.get("WALLET_AMQP_URL", "amqp://guest:guest@localhost:5672/")


# `--tracing` (shared with the other benches that start the API).
_tracing_env = cpu.tracing_env


# The payment load (random wallets) and its replays, as the CPU table runs them.
bench_payments = cpu.payments
bench_replays = cpu.replays


async def bench_pages(
    port: int, user: str, cursor: str, total: int, limit: int, rounds: int = 5
) -> tuple[LoadResult, LoadResult]:
    """(first page, page at `cursor`), measured in alternating rounds, so both see the same
    conditions (a background autovacuum, a checkpoint) rather than one of them alone."""
    first_path = f"/wallets/{user}/transactions?limit={limit}"
    deep_path = f"{first_path}&cursor={cursor}"
    first, deep = LoadResult(), LoadResult()
    for _ in range(rounds):
        for path, result in ((first_path, first), (deep_path, deep)):

            async def page(conn: Connection, n: int, path: str = path) -> Response:
                response = await conn.request("GET", path, _headers())
                assert response.status == 200, response
                return response

            result.merge(await run_load(HOST, port, page, concurrency=4, total=total // rounds))
    return first, deep


def run_pgbench(
    wallet_count: int, duration_s: int, clients: int, script_text: str | None = None
) -> float:
    """pgbench on the API's own statements (bench/pgbench_script.py) over the same wallets:
    a payment's, or `script_text`."""
    if shutil.which("pgbench") is None:
        print("  pgbench not found (apt-get install postgresql-client): skipped")
        return float("nan")
    import tempfile
    from urllib.parse import urlparse

    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="pgbench-payment-") as script:
        script.write(script_text or payment_script(PROVIDER_ID))
        script.flush()

        url = urlparse(_dsn())
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        out = subprocess.run(
            [
                "pgbench",
                "-h",
                url.hostname or "localhost",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                "-n",
                "-M",
                "prepared",
                "-f",
                script.name,
                "-D",
                f"wallets={wallet_count}",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(duration_s),
                url.path.lstrip("/"),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return float(next(ln for ln in out.splitlines() if ln.startswith("tps")).split()[2])


HEADER = f"{'scenario':<28} {'requests':>8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}  statuses"


def pgbench_row(tps: float) -> str:
    return f"{'pgbench, same statements':<28} {'':>8} {tps:>10.1f}"


def _row(name: str, result: LoadResult) -> str:
    return (
        f"{name:<28} {result.count:>8} {result.rate:>10.1f} {result.percentile(50):>9.2f}"
        f" {result.percentile(99):>9.2f}  {dict(sorted(result.statuses.items()))}"
    )


async def _drop_history_users(conn: asyncpg.Connection) -> None:
    """Remove bench history wallets (ledger rows are immutable: bypass the trigger here).
    Left behind, a few 200k-row wallets would own most of the ledger and skew the plans."""
    async with conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        for table in ("transactions", "wallet_balances", "wallets"):
            await conn.execute(f"DELETE FROM {table} WHERE user_id LIKE 'bench-history-%'")


def _cpu_row(name: str, phase: MeasuredLoad, operation: str) -> str:
    return (
        f"{_row(name, phase.result)}  cpu/{operation}: api {phase.api_cpu_us:.0f} us,"
        f" host {phase.host_cpu_us:.0f} us"
    )


def _pgbench_row(tps: float) -> str:
    return f"{'pgbench, same statement':<28} {'':>8} {tps:>10.1f}"


async def run_transfer_phases(
    args: argparse.Namespace, api_port: int, api_pgid: int, wallets: list[str], run_id: str
) -> tuple[MeasuredLoad, MeasuredLoad]:
    """Warm-up, then spread and hot-receiver loads of `args.transfer_duration` seconds."""
    common = {
        "headers": _headers(),
        "concurrency": args.concurrency,
        "api_pgid": api_pgid,
    }
    await bench_transfers(
        HOST, api_port, wallets, hot_receiver=False, duration_s=3, run_id=f"tw-{run_id}", **common
    )
    spread = await bench_transfers(
        HOST,
        api_port,
        wallets,
        hot_receiver=False,
        duration_s=args.transfer_duration,
        run_id=f"ts-{run_id}",
        **common,
    )
    hot = await bench_transfers(
        HOST,
        api_port,
        wallets,
        hot_receiver=True,
        duration_s=args.transfer_duration,
        run_id=f"th-{run_id}",
        **common,
    )
    return spread, hot


def print_transfers(args: argparse.Namespace, spread: MeasuredLoad, hot: MeasuredLoad) -> None:
    pgbench_spread = run_pgbench(
        args.wallets,
        args.pgbench_duration,
        args.pgbench_clients,
        transfer_script(hot_receiver=False),
    )
    pgbench_hot = run_pgbench(
        args.wallets,
        args.pgbench_duration,
        args.pgbench_clients,
        transfer_script(hot_receiver=True),
    )
    print(_cpu_row("transfer, spread wallets", spread, "transfer"))
    print(_pgbench_row(pgbench_spread))
    print(_cpu_row("transfer, hot receiver", hot, "transfer"))
    print(_pgbench_row(pgbench_hot))
    for name, phase, tps in (("spread", spread, pgbench_spread), ("hot", hot, pgbench_hot)):
        print(f"transfers/s vs pgbench ({name}): ratio {phase.result.rate / tps:.2f}")


async def run_hold_phase(
    args: argparse.Namespace, api_port: int, api_pgid: int, wallets: list[str], run_id: str
) -> MeasuredLoad:
    """Warm-up, then hold + complete pairs for `args.hold_duration` seconds."""
    common = {"headers": _headers(), "concurrency": args.concurrency, "api_pgid": api_pgid}
    await bench_holds(HOST, api_port, wallets, duration_s=3, run_id=f"hw-{run_id}", **common)
    return await bench_holds(
        HOST, api_port, wallets, duration_s=args.hold_duration, run_id=f"h-{run_id}", **common
    )


def hold_check(holds: MeasuredLoad, payments: MeasuredLoad) -> tuple[str, float, bool]:
    """The holds target: a hold + complete pair costs the API no more CPU than a payment."""
    ratio = holds.api_cpu_us / payments.api_cpu_us
    return ("API cpu: hold+complete <= 1 payment", ratio, ratio <= 1.0)


def print_holds(
    args: argparse.Namespace, holds: MeasuredLoad, payments: MeasuredLoad | None
) -> None:
    pgbench_holds = run_pgbench(
        args.wallets, args.pgbench_duration, args.pgbench_clients, hold_script()
    )
    print(_cpu_row("hold + complete (pairs)", holds, "pair"))
    print(_pgbench_row(pgbench_holds))
    print(f"hold pairs/s vs pgbench: ratio {holds.result.rate / pgbench_holds:.2f}")
    if payments is not None:
        print(
            f"hold pairs/s vs payments/s: {holds.result.rate:.1f} vs {payments.result.rate:.1f};"
            f" API cpu per pair vs per payment: {holds.api_cpu_us:.0f} vs"
            f" {payments.api_cpu_us:.0f} us"
        )


async def selected_phases(args: argparse.Namespace, phases: set[str]) -> int:
    """`--phases` other than `all`: seeded wallets and a fresh API (and, for payments, the
    mock gateway), the chosen load phases in the usual order, each with its pgbench."""
    run_id = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(_dsn())
    try:
        wallets = await seed_wallets(conn, "bench-", args.wallets)
    finally:
        await conn.close()
    api_env = {
        "WALLET_DATABASE_URL": _dsn(),
        "WALLET_GATEWAY_URL": f"http://{HOST}:{args.gateway_port}",
        "WALLET_API_KEYS": API_KEY,
        "WALLET_API_PORT": str(args.api_port),
        "WALLET_API_WORKERS": str(args.api_workers),
        "WALLET_API_METRICS_PORT": "0",  # nothing scrapes it; another API may hold 9103
        "WALLET_LOG_LEVEL": "warning",
        "WALLET_LOG_FORMAT": "json",
        "WALLET_RATE_LIMIT_PER_S": "0",
    }
    _ensure_free(args.api_port)
    payments: MeasuredLoad | None = None
    transfers: tuple[MeasuredLoad, MeasuredLoad] | None = None
    holds: MeasuredLoad | None = None
    with contextlib.ExitStack() as stack:
        if "payments" in phases:
            _ensure_free(args.gateway_port)
            stack.enter_context(mock_gateway(args.gateway_port))
            await _wait_healthy(args.gateway_port)
        api = stack.enter_context(
            _process([sys.executable, "-m", "wallet_api"], api_env, "wallet-api")
        )
        await _wait_healthy(args.api_port)
        if "payments" in phases:
            await bench_payments(args.api_port, wallets, args.concurrency, 3, f"warm-{run_id}")
            meter = CpuMeter.start(api.pid)
            result, _ = await bench_payments(
                args.api_port, wallets, args.concurrency, args.duration, run_id
            )
            payments = meter.stop(result)
        if "transfers" in phases:
            transfers = await run_transfer_phases(args, args.api_port, api.pid, wallets, run_id)
        if "holds" in phases:
            holds = await run_hold_phase(args, args.api_port, api.pid, wallets, run_id)
    print(f"\nAPI tracing: {args.tracing} (--tracing off|on)")
    print(HEADER)
    if payments is not None:
        print(_cpu_row("payment (first request)", payments, "payment"))
        print(pgbench_row(run_pgbench(args.wallets, args.pgbench_duration, args.pgbench_clients)))
    if transfers is not None:
        print_transfers(args, *transfers)
    if holds is not None:
        print_holds(args, holds, payments)
        if payments is not None:
            name, ratio, ok = hold_check(holds, payments)
            print(f"\n{'PASS' if ok else 'MISS'}  {name:<36} ratio {ratio:.2f}")
    return 0


def parse_phases(value: str) -> set[str]:
    """`all`, or a comma-separated subset of LOAD_PHASES."""
    phases = {phase.strip() for phase in value.split(",") if phase.strip()}
    if phases == {"all"}:
        return phases
    unknown = phases - set(LOAD_PHASES)
    if unknown or not phases:
        raise argparse.ArgumentTypeError(
            f"'all' or a comma-separated subset of {', '.join(LOAD_PHASES)}"
        )
    return phases


def apis_of(args: argparse.Namespace) -> list[cpu.ApiUnderTest]:
    """This tree's API, then each `--compare-root` checkout's."""
    others = [cpu.ApiUnderTest(root.name, root) for root in args.compare_root]
    return [cpu.ApiUnderTest("this tree", ROOT), *others]


async def cpu_phase(
    args: argparse.Namespace, dsn: str, database: str, stub_pgid: int
) -> list[cpu.Row]:
    """The CPU table's loads (cpu_phase.py) on seeded wallets, each with a full first
    history page, charging the stub."""
    conn = await asyncpg.connect(dsn)
    try:
        wallets = await seed_wallets(conn, "bench-", args.wallets)
        await seed_full_pages(conn, wallets, cpu.PAGE_SIZE)
    finally:
        await conn.close()
    return await cpu.run_cpu_phase(
        args,
        dsn=dsn,
        database=database,
        wallets=wallets,
        apis=apis_of(args),
        gateway_port=args.stub_port,
        gateway_pgid=stub_pgid,
    )


async def main_async(args: argparse.Namespace) -> int:
    run_id = uuid.uuid4().hex[:8]
    async with bench_database(run_id) as (dsn, database):
        # Every process the bench starts, and pgbench, use the bench's own database.
        os.environ["WALLET_DATABASE_URL"] = dsn
        ensure_free(args.stub_port)
        with stub_gateway(HOST, args.stub_port) as stub:
            await wait_healthy(args.stub_port)
            # Every process the bench starts (API, relays, consumers) traces, or not, alike.
            os.environ.update(_tracing_env(args.tracing, args.stub_port))
            phases = args.phases
            rows = None
            if "cpu" in phases or phases == {"all"}:
                rows = await cpu_phase(args, dsn, database, stub.pid)
                # Now, and again at the end: a later phase that fails keeps this table.
                cpu.print_cpu_table(rows, apis_of(args), args.tracing)
            status = 0
            if phases == {"all"}:
                status = await full_run(args, run_id)
            elif phases - {"cpu"}:
                status = await selected_phases(args, phases - {"cpu"})
        if rows is not None:
            cpu.print_cpu_table(rows, apis_of(args), args.tracing)
    return status


async def full_run(args: argparse.Namespace, run_id: str) -> int:
    conn = await asyncpg.connect(_dsn())
    try:
        await _drop_history_users(conn)
        # pgbench's script addresses wallets as bench-<n>; seed that set once.
        wallets = await seed_wallets(conn, "bench-", args.wallets)
        history_user = f"bench-history-{run_id}"
        print(f"seeding {args.history_rows} ledger rows for {history_user} ...", file=sys.stderr)
        await seed_history(conn, history_user, args.history_rows)
        # As after any bulk load: fresh statistics, and no autovacuum of these rows later,
        # in the middle of a measurement.
        await conn.execute("VACUUM ANALYZE transactions")
        depth = args.page_limit * (args.deep_page - 1)
        deep_cursor = await cursor_at_depth(conn, history_user, depth)
    finally:
        await conn.close()

    api_port, gateway_port = args.api_port, args.gateway_port
    api_env = {
        "WALLET_DATABASE_URL": _dsn(),
        "WALLET_GATEWAY_URL": f"http://{HOST}:{gateway_port}",
        "WALLET_API_KEYS": API_KEY,
        "WALLET_API_PORT": str(api_port),
        "WALLET_API_WORKERS": str(args.api_workers),
        "WALLET_API_METRICS_PORT": "0",  # nothing scrapes it; another API may hold 9103
        "WALLET_LOG_LEVEL": "warning",
        "WALLET_LOG_FORMAT": "json",
        # One bench key drives thousands of requests/s: the per-key limit would measure itself.
        "WALLET_RATE_LIMIT_PER_S": "0",
        # The outage phase measures while the circuit is open: no half-open probe meanwhile.
        "WALLET_GATEWAY_BREAKER_RECOVERY_S": "60",
    }
    _ensure_free(api_port)
    _ensure_free(gateway_port)
    with (
        mock_gateway(gateway_port),
        _process([sys.executable, "-m", "wallet_api"], api_env, "wallet-api") as api,
    ):
        await _wait_healthy(gateway_port)
        await _wait_healthy(api_port)
        await bench_payments(api_port, wallets, args.concurrency, 3, f"warm-{run_id}")
        meter = CpuMeter.start(api.pid)
        payments, sent = await bench_payments(
            api_port, wallets, args.concurrency, args.duration, run_id
        )
        payments_cpu = meter.stop(payments)
        replays = await bench_replays(api_port, sent, args.concurrency, min(len(sent), 5000))
        transfers_spread, transfers_hot = await run_transfer_phases(
            args, api_port, api.pid, wallets, run_id
        )
        holds = await run_hold_phase(args, api_port, api.pid, wallets, run_id)
        page_first, page_deep = await bench_pages(
            api_port, history_user, deep_cursor, args.page_requests, args.page_limit
        )

        # Issue-3 target: commit -> audit_log lag at half the API's measured peak rate.
        lag = await consumer_lag.run(
            _dsn(), _amqp_url(), f"http://{HOST}:{api_port}", payments.rate / 2, api_key=API_KEY
        )

        async def outage_payment(conn: Connection, n: int) -> Response:
            user = wallets[n % len(wallets)]
            key, body = f"outage-{run_id}-{n}", _payment_body(n)
            return await conn.request("POST", f"/wallets/{user}/payments", _headers(key), body)

        outage = await bench_gateway_outage(
            HOST,
            api_port,
            gateway_port,
            balance_path=f"/wallets/{wallets[0]}/balance",
            headers=_headers(),
            pay=outage_payment,
            requests=args.outage_requests,
        )
    pgbench_tps = run_pgbench(args.wallets, args.pgbench_duration, args.pgbench_clients)
    drain = await relay_drain.run(_dsn(), _amqp_url(), events=args.drain_events)
    conn = await asyncpg.connect(_dsn())
    try:
        await _drop_history_users(conn)
    finally:
        await conn.close()

    print(f"\nAPI tracing: {args.tracing} (--tracing off|on)")
    print(HEADER)
    print(_cpu_row("payment (first request)", payments_cpu, "payment"))
    print(_row("payment (idempotent replay)", replays))
    print(_row("transactions page 1", page_first))
    print(_row(f"transactions page {args.deep_page}", page_deep))
    print(pgbench_row(pgbench_tps))
    print_transfers(args, transfers_spread, transfers_hot)
    print_holds(args, holds, payments_cpu)
    print(_row("balance, gateway healthy", outage.balance_before))
    print(_row("balance, circuit open", outage.balance_open))
    print(_row("payment refused (503 open)", outage.fail_fast))
    print(f"{'relay drain (confirms on)':<28} {drain['events']:>8} {drain['events_per_s']:>10}")
    print(
        f"{'commit -> audit_log lag':<28} {lag['events']:>8} {lag['payments_per_s']:>10}"
        f" {lag['lag_p50_ms']:>9.1f} {lag['lag_p99_ms']:>9.1f}  (events, payments/s)"
    )
    checks = [
        (
            "payments/s >= 0.5 x pgbench",
            payments.rate / pgbench_tps,
            payments.rate >= 0.5 * pgbench_tps,
        ),
        (
            "replay p50 <= 0.3 x first p50",
            replays.percentile(50) / payments.percentile(50),
            replays.percentile(50) <= 0.3 * payments.percentile(50),
        ),
        (
            f"page {args.deep_page} <= 1.5 x page 1 (p50)",
            page_deep.percentile(50) / page_first.percentile(50),
            page_deep.percentile(50) <= 1.5 * page_first.percentile(50),
        ),
        (
            "balance p99 open <= 1.5 x healthy",
            outage.balance_open.percentile(99) / outage.balance_before.percentile(99),
            outage.balance_open.percentile(99) <= 1.5 * outage.balance_before.percentile(99),
        ),
        (
            "fail-fast 503 p99 <= 10 ms",
            outage.fail_fast.percentile(99) / 10.0,
            outage.fail_fast.percentile(99) <= 10.0 and set(outage.fail_fast.statuses) == {503},
        ),
        (
            "relay drain >= 5,000 events/s",
            drain["events_per_s"] / relay_drain.TARGET_EVENTS_PER_S,
            bool(drain["ok"]),
        ),
        (
            "audit lag p99 <= 250 ms at half peak",
            lag["lag_p99_ms"] / 250.0,
            lag["lag_p99_ms"] <= 250.0,
        ),
        hold_check(holds, payments_cpu),
    ]
    print()
    for name, ratio, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name:<36} ratio {ratio:.2f}")
    return 0


def add_payment_load_args(parser: argparse.ArgumentParser) -> None:
    """The payment phase's options, shared with bench/stack_floor.py (same load, same
    pgbench), so the two ratios are measured alike."""
    parser.add_argument("--duration", type=float, default=20.0, help="payment load seconds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--wallets", type=int, default=1000)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-port", type=int, default=18000)
    parser.add_argument("--gateway-port", type=int, default=18100)
    parser.add_argument("--pgbench-duration", type=int, default=15)
    parser.add_argument("--pgbench-clients", type=int, default=8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_payment_load_args(parser)
    parser.add_argument("--history-rows", type=int, default=200_000)
    parser.add_argument("--page-limit", type=int, default=20)
    parser.add_argument("--deep-page", type=int, default=10_000)
    parser.add_argument("--page-requests", type=int, default=1000)
    parser.add_argument("--outage-requests", type=int, default=2000)
    parser.add_argument("--drain-events", type=int, default=50_000)
    parser.add_argument("--transfer-duration", type=float, default=15.0, help="per phase")
    parser.add_argument("--hold-duration", type=float, default=15.0, help="hold+complete load s")
    parser.add_argument(
        "--phases",
        type=parse_phases,
        default="all",
        help=f"all, or some of {','.join(LOAD_PHASES)} alone (e.g. payments,holds)",
    )
    parser.add_argument(
        "--tracing",
        choices=("off", "on"),
        default="on",
        help="API tracing: off (no exporter) or on (OTLP to the stub, sampled as configured)",
    )
    parser.add_argument("--stub-port", type=int, default=18200, help="nginx stub gateway")
    parser.add_argument("--cpu-duration", type=float, default=8.0, help="CPU phase payments s")
    parser.add_argument("--cpu-reads", type=int, default=3000, help="CPU phase reads per kind")
    # Three short rounds rather than one long one: payment vs floor is a median of pairs.
    parser.add_argument("--cpu-rounds", type=int, default=3, help="CPU phase rounds")
    parser.add_argument("--cpu-log-level", default="info", help="API log level, CPU phase")
    parser.add_argument(
        "--compare-root",
        action="append",
        type=lambda path: Path(path).resolve(),
        default=[],
        help="another checkout (with its .venv) whose API the CPU phase measures in turn",
    )
    # On uvloop, as the servers run: the load generator's own CPU comes out of the same
    # two cores it measures, and the default loop costs it about twice as much per request.
    raise SystemExit(uvloop.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
