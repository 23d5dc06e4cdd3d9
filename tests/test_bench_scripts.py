"""`make bench` compares the API with pgbench running the API's own statements: the
scripts bind every parameter of those statements, so a statement that gains one (a new
`transactions` column) must still build its script, not fail the bench at its end."""

from __future__ import annotations

import importlib
import inspect
import math
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
import structlog
from wallet_infra.logging_setup import configure_logging

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def scripts(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the bench's modules import each other bare
    return importlib.import_module("pgbench_script")


def test_every_pgbench_script_binds_every_parameter(scripts: ModuleType) -> None:
    built = [
        scripts.payment_script("01890a5d-ac96-774b-bcce-b302099a8057"),
        scripts.transfer_script(hot_receiver=False),
        scripts.transfer_script(hot_receiver=True),
        scripts.hold_script(),
    ]
    for script in built:
        assert re.search(r"\$\d", script) is None, script  # no driver placeholder left


@pytest.fixture
def floor_app(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("floor_app")


def test_the_floor_route_binds_every_parameter_of_its_statements(floor_app: ModuleType) -> None:
    from wallet_infra.persistence.statements.payment_book import OPEN, SETTLE_APPROVED

    payment_id = uuid.uuid4()
    body = orjson.dumps(
        {
            "provider_id": "01890a5d-ac96-774b-bcce-b302099a8057",
            "external_reference": "bill-1",
            "amount": 1,
            "currency": "USD",
        }
    )
    opened = floor_app.open_params("u-1", "key-1", body, payment_id, datetime.now(UTC))
    settled = floor_app.settle_params(payment_id, "u-1", 1, b"{}")
    assert len(OPEN.args(opened)) == len(OPEN.names)  # a missing name raises KeyError
    assert len(SETTLE_APPROVED.args(settled)) == len(SETTLE_APPROVED.names)


def test_the_floor_route_connects_as_the_api_does(floor_app: ModuleType) -> None:
    # asyncpg alone would prefer TLS on loopback, a cost per statement the API never pays.
    local = floor_app.pool_options("postgresql://u:p@localhost:5432/db")
    assert local == {"ssl": "disable", "server_settings": {"jit": "off"}}
    assert floor_app.pool_options("postgresql://u:p@db.example:5432/db")["ssl"] is None


async def test_every_seeded_wallet_has_a_full_first_page(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    import asyncpg  # type: ignore[import-untyped]

    monkeypatch.syspath_prepend(str(BENCH))
    seed = importlib.import_module("seed")
    conn = await asyncpg.connect(database_url, ssl=False)
    try:
        wallets = await seed.seed_wallets(conn, f"page-{uuid.uuid4().hex[:8]}-", 3)
        await seed.seed_full_pages(conn, wallets, 20)
        rows = await conn.fetch(
            "SELECT t.user_id, count(*) AS entries, sum(t.amount) AS ledger, b.balance"
            " FROM transactions t JOIN wallet_balances b USING (user_id)"
            " WHERE t.user_id = ANY($1::text[]) GROUP BY t.user_id, b.balance",
            wallets,
        )
    finally:
        await conn.close()
    assert sorted(row["user_id"] for row in rows) == sorted(wallets)
    for row in rows:
        assert row["entries"] == 21  # the funding deposit and 20 more: a full page of 20
        assert row["ledger"] == row["balance"]  # balance == sum(ledger) still holds


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("in_process")


async def test_the_in_process_bench_calls_an_app_as_uvicorn_would(in_process: ModuleType) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope, body=(await receive())["body"])
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    call = in_process.asgi_caller(app)
    answer = await call("POST", "/wallets/u-1/payments?x=1", {"X-API-Key": "k"}, b"{}")

    assert answer == (201, b"ok")
    assert (seen["method"], seen["path"], seen["query_string"]) == (
        "POST",
        "/wallets/u-1/payments",
        b"x=1",
    )
    assert seen["headers"] == [(b"x-api-key", b"k"), (b"content-length", b"2")]
    assert seen["body"] == b"{}"
    assert seen["state"] == {}


async def test_the_in_process_bench_counts_each_request_once(in_process: ModuleType) -> None:
    served: list[int] = []

    async def request(n: int) -> None:
        served.append(n)

    ms = await in_process.cpu_ms_per_request(request, 100, 8)

    assert sorted(served) == list(range(100))
    assert ms >= 0


async def test_the_in_process_bench_counts_settling_after_the_requests(
    in_process: ModuleType,
) -> None:
    """Tracing on, the slice's spans are exported (`settle`) inside its measured CPU."""
    settled: list[int] = []

    async def request(n: int) -> None:
        pass

    def settle() -> None:
        started = time.process_time()
        while time.process_time() - started < 0.05:
            pass
        settled.append(1)

    ms = await in_process.cpu_ms_per_request(request, 10, 2, settle)

    assert settled == [1]
    assert ms >= 5  # the 50 ms of settling, over 10 requests


def test_every_round_of_an_in_process_run_logs_to_the_same_file(
    in_process: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A logger cached on first use keeps the file it first met: a run of several rounds
    (no --compare-root) used to give each round its own file, and the second round's
    first access line hit the first round's closed one."""
    access = structlog.get_logger("test.in_process.access")
    files: list[Any] = []

    async def measure(args: Any, log: Any, work: Any) -> dict[str, float]:
        stderr, sys.stderr = sys.stderr, log  # as `_drive` does
        try:
            configure_logging(log_format="json", log_level="info")
            access.info("http_request")
        finally:
            sys.stderr = stderr
        files.append(log)
        return {"payment": 1.0}

    monkeypatch.setattr(in_process, "measure", measure)
    monkeypatch.setattr(sys, "argv", ["in_process.py", "--ops", "payment", "--rounds", "2"])
    try:
        in_process.main()
    finally:
        configure_logging()
    assert len(files) == 2
    assert files[0] is files[1]
    assert "payment" in capsys.readouterr().out


def test_the_in_process_bench_refuses_an_unknown_operation(in_process: ModuleType) -> None:
    assert in_process.parse_args(["--ops", "payment,page"]).ops == ["payment", "page"]
    with pytest.raises(SystemExit):
        in_process.parse_args(["--ops", "payments"])


def test_tracing_off_needs_no_collector_and_on_exports_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    cpu = importlib.import_module("cpu_phase")
    assert cpu.tracing_env("off") == {"OTEL_SDK_DISABLED": "true"}  # as bench-replica asks
    on = cpu.tracing_env("on", 18200)
    assert on["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:18200"
    with pytest.raises(ValueError, match="port"):
        cpu.tracing_env("on")


def test_payment_vs_floor_is_the_median_of_each_rounds_adjacent_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    cpu = importlib.import_module("cpu_phase")

    def row(api: str, ms: float, round_number: int, paired_with: str = "") -> Any:
        load = cpu.MeasuredLoad(result=None, api_cpu_us=ms * 1000, host_cpu_us=0.0)
        return cpu.Row(api, cpu.PAYMENT, load, round_number, paired_with)

    # The machine's speed drifts between rounds: each pair sees the same speed.
    rows = [
        row("this tree", 1.2, 0),
        row(cpu.FLOOR, 1.0, 0, "this tree"),
        row("old", 5.0, 0),
        row(cpu.FLOOR, 2.5, 0, "old"),
        row(cpu.FLOOR, 2.5, 1, "old"),
        row("old", 5.5, 1),
        row(cpu.FLOOR, 1.0, 1, "this tree"),
        row("this tree", 1.5, 1),
        row("this tree", 5.0, 2),
        row(cpu.FLOOR, 3.0, 2, "this tree"),
    ]
    assert cpu.floor_ratio(rows, "this tree") == pytest.approx(1.5)
    assert cpu.floor_ratio(rows, "old") == pytest.approx(2.1)
    # Unpaired floor rows (an older table): the ratio of the medians.
    unpaired = [row("this tree", 1.5, 0), row(cpu.FLOOR, 1.0, 0), row("this tree", 2.5, 1)]
    assert cpu.floor_ratio(unpaired, "this tree") == pytest.approx(2.0)


def test_each_target_is_also_read_at_the_reference_floor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A slow moment doubles the floor and the API alike: the absolute reading misses, the
    reading in multiples of the floor measured next to it does not move."""
    monkeypatch.syspath_prepend(str(BENCH))
    cpu = importlib.import_module("cpu_phase")

    def row(api: str, operation: str, ms: float, round_number: int, paired: str = "") -> Any:
        load = cpu.MeasuredLoad(result=None, api_cpu_us=ms * 1000, host_cpu_us=0.0)
        return cpu.Row(api, operation, load, round_number, paired)

    floor = cpu.REFERENCE_FLOOR_MS
    rows = []
    for round_number, speed in enumerate((2.0, 3.0, 2.5)):  # a VM 2 to 3 times slow
        rows += [
            row("api", cpu.PAYMENT, 1.5 * floor * speed, round_number),
            row(cpu.FLOOR, cpu.PAYMENT, floor * speed, round_number, "api"),
            row("api", cpu.REPLAY, 0.25 * speed, round_number),
            row("api", cpu.BALANCE, 0.35 * speed, round_number),
            row("api", cpu.PAGE, 0.4 * speed, round_number),
        ]
    found = {check.name: check for check in cpu.checks(rows, "api", "off")}

    replay = found["API cpu/replay <= 0.3 ms"]
    assert not replay.met  # 0.625 ms as measured
    assert replay.at_reference_ms == pytest.approx(0.25)
    assert found["API cpu/balance <= 0.3 ms"].at_reference_ms == pytest.approx(0.35)
    assert found["API cpu/payment <= 1.0 ms"].at_reference_ms == pytest.approx(1.5 * floor)
    ratio = found[f"API cpu/payment <= {cpu.FLOOR_RATIO} x floor"]
    assert ratio.met
    assert ratio.at_reference_ms is None  # already a multiple of the floor
    # Without floor rows there is nothing to read it against.
    alone = cpu.checks([r for r in rows if r.api != cpu.FLOOR], "api", "off")
    assert all(math.isnan(check.at_reference_ms) for check in alone[:-1])


@pytest.fixture
def gateway_call(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("gateway_call")


async def test_the_gateway_bench_makes_every_call_it_divides_by(gateway_call: ModuleType) -> None:
    made = 0

    async def call() -> None:
        nonlocal made
        made += 1

    us = await gateway_call.cpu_us_per_call(call, 101, 8)  # not a multiple of the callers

    assert made == 101
    assert us >= 0


def test_the_gateway_bench_sends_the_adapters_charge_body(gateway_call: ModuleType) -> None:
    from wallet_infra.gateway.adapter import HttpxPaymentGateway

    body = orjson.loads(gateway_call.charge_body("p-1"))

    assert body["payment_id"] == "p-1"
    # The same fields, so aiohttp's bare call carries what the adapter's does.
    source = inspect.getsource(HttpxPaymentGateway._charge_once)
    assert all(f'"{field}"' in source for field in body)


def test_the_gateway_bench_reports_the_adapters_cost_on_top(gateway_call: ModuleType) -> None:
    report = gateway_call.summary({"aiohttp": [80.0, 90.0, 85.0], "gateway": [180.0, 170.0]})

    assert "on top of the bare call: 90.0 us (medians), 90.0 us (best rounds)" in report


async def test_an_in_process_app_serves_numbered_slices_on_command(
    in_process: ModuleType,
) -> None:
    commands = iter(["payment 3\n", "balance 2\n", "payment 2\n", "quit\n", "payment 9\n"])
    served: list[tuple[str, int]] = []
    said: list[str] = []

    async def read_line() -> str:
        return next(commands)

    def request(operation: str) -> Any:
        async def serve(n: int) -> None:
            served.append((operation, n))

        return serve

    requests = {"payment": request("payment"), "balance": request("balance")}
    await in_process.command_loop(read_line, said.append, requests, 2)

    assert said[0] == "ready"
    assert [orjson.loads(line)["operation"] for line in said[1:]] == [
        "payment",
        "balance",
        "payment",
    ]
    # Numbered on from slice to slice: a payment is never a replay of an earlier slice's.
    assert sorted(n for op, n in served if op == "payment") == [0, 1, 2, 5, 6]
    assert len(served) == 7  # nothing after quit


def test_the_in_process_ab_pairs_each_slice_with_its_neighbour(in_process: ModuleType) -> None:
    first = in_process.Side(Path("/a/new"), "off", "new")
    second = in_process.Side(Path("/b/old"), "off", "old")
    runs = {
        (first, "payment"): [1.0, 2.0, 1.2],
        (second, "payment"): [1.25, 2.5, 1.0],
    }

    report = in_process.paired_summary(runs, [first, second], ["payment", "page"])

    assert "new / old" in report
    assert "payment          0.800  (3 slices)" in report
    assert "page" not in report.split("\n", 1)[1]


def test_the_in_process_ab_compares_a_checkout_with_another_or_tracing_with_none(
    in_process: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, other = tmp_path / "new", tmp_path / "old"
    here.mkdir()
    monkeypatch.chdir(here)

    checkouts = in_process.sides(in_process.parse_args(["--compare-root", str(other)]))
    assert [(s.root, s.tracing, s.label) for s in checkouts] == [
        (here, "off", "new"),
        (other, "off", "old"),
    ]
    # No other checkout: this one twice, the second without tracing.
    args = in_process.parse_args(["--tracing", "on", "--compare-tracing", "off"])
    traced, untraced = in_process.sides(args)
    assert (traced.root, traced.tracing, traced.label) == (here, "on", "new, tracing on")
    assert (untraced.root, untraced.tracing, untraced.label) == (here, "off", "new, tracing off")
    # Each side's app process runs with its own tracing mode.
    assert in_process.passed_on(args, untraced)[-2:] == ["--tracing", "off"]
    assert in_process.passed_on(args, traced)[-2:] == ["--tracing", "on"]


def test_the_in_process_ab_shares_its_slices_among_pairs_of_processes(
    in_process: ModuleType,
) -> None:
    assert in_process.parse_args(["--rounds", "24", "--processes", "4"]).processes == 4
    for wrong in (["--processes", "0"], ["--rounds", "2", "--processes", "3"]):
        with pytest.raises(SystemExit):
            in_process.parse_args(wrong)


@pytest.fixture
def pool_waits(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("pool_waits")


def test_the_pool_bench_reads_its_percentiles_in_ms(pool_waits: ModuleType) -> None:
    waits = [n / 1000 for n in range(1, 1001)]  # 1 ms .. 1000 ms
    assert pool_waits.summary(waits) == {"p50": 501.0, "p99": 991.0, "p999": 1000.0, "max": 1000.0}


@pytest.mark.integration
async def test_the_pool_bench_measures_both_pools(
    pool_waits: ModuleType, database_url: str
) -> None:
    for poolclass in pool_waits.VARIANTS.values():
        row = await pool_waits.measure(
            database_url, poolclass, tasks=4, pool_size=2, seconds=0.2, pause_s=0.001
        )
        assert row["checkouts_per_s"] > 0
        assert 0 <= row["p50"] <= row["p99"] <= row["max"]


def test_the_cpu_table_prints_a_replay_elsewhere_without_judging_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    cpu = importlib.import_module("cpu_phase")
    http_load = importlib.import_module("http_load")

    def row(api: str, operation: str, ms: float, paired: str = "") -> Any:
        result = http_load.LoadResult(latencies_ms=[1.0], elapsed_s=1.0)
        load = cpu.MeasuredLoad(result=result, api_cpu_us=ms * 1000, host_cpu_us=0.0)
        return cpu.Row(api, operation, load, 0, paired)

    floor = cpu.REFERENCE_FLOOR_MS
    rows = [
        row("this tree", cpu.PAYMENT, 0.9),
        row(cpu.FLOOR, cpu.PAYMENT, floor, "this tree"),
        row("this tree", cpu.REPLAY, 0.25),
        row("this tree", cpu.BALANCE, 0.2),
        row("this tree", cpu.PAGE, 0.4),
        row("this tree", cpu.REPLAY_ELSEWHERE, 0.35),
    ]
    api = cpu.ApiUnderTest("this tree", Path("."))

    cpu.print_cpu_table(rows, [api], "off")

    out = capsys.readouterr().out
    assert "replay elsewhere (another process)   0.35 ms" in out
    assert "at a 0.58 ms floor: 0.35 ms (not judged)" in out
    assert "MISS" not in out  # 0.35 ms against 0.3 is printed, not judged
    assert [c.name for c in cpu.checks(rows, "this tree", "off") if "elsewhere" in c.name] == []
