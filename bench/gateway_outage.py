"""Bench phase: what a hanging gateway costs everyone else once the circuit is open.

1. GET balance p99 with the gateway healthy (baseline);
2. the mock gateway switched to `timeout` (runtime admin endpoint): payments are driven
   until every API worker's breaker has opened (a whole round of payments is refused
   with 503 `circuit_open`);
3. GET balance p99 again, and the p99 of the fail-fast 503 payments.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from http_load import Connection, LoadResult, Response, run_load

OPEN_ROUND = 32  # payments per round; a round all refused means every breaker is open
MAX_ROUNDS = 20

PayJob = Callable[[Connection, int], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class OutageResult:
    balance_before: LoadResult
    balance_open: LoadResult
    fail_fast: LoadResult
    rounds_to_open: int


async def _set_mode(host: str, gateway_port: int, mode: str) -> None:
    body = json.dumps({"mode": mode}).encode()
    headers = {"Content-Type": "application/json"}
    connection = Connection(host, gateway_port)
    try:
        response = await connection.request("PUT", "/admin/mode", headers, body)
        assert response.status == 200, response
    finally:
        await connection.close()


def _is_circuit_open(response: Response) -> bool:
    return response.status == 503 and b"circuit_open" in response.body


async def _open_the_circuit(host: str, port: int, pay: PayJob) -> int:
    """Rounds of concurrent payments until one is refused whole by open circuits."""
    for round_no in range(1, MAX_ROUNDS + 1):
        connections = [Connection(host, port) for _ in range(OPEN_ROUND)]
        try:
            replies = await asyncio.gather(
                *(pay(c, round_no * OPEN_ROUND + n) for n, c in enumerate(connections))
            )
        finally:
            await asyncio.gather(*(c.close() for c in connections))
        if all(_is_circuit_open(r) for r in replies):
            return round_no
    raise RuntimeError(f"the circuit did not open within {MAX_ROUNDS} rounds")


async def bench_gateway_outage(
    host: str,
    port: int,
    gateway_port: int,
    *,
    balance_path: str,
    headers: dict[str, str],
    pay: PayJob,
    requests: int,
) -> OutageResult:
    """`pay(connection, n)` sends payment n; `requests` is the sample size per measure."""

    async def balance(conn: Connection, _: int) -> Response:
        response = await conn.request("GET", balance_path, headers)
        assert response.status == 200, response
        return response

    async def refused_payment(conn: Connection, n: int) -> Response:
        return await pay(conn, 10**9 + n)  # its statuses are shown: all 503 expected

    before = await run_load(host, port, balance, concurrency=4, total=requests)
    await _set_mode(host, gateway_port, "timeout")
    try:
        started = time.monotonic()
        rounds = await _open_the_circuit(host, port, pay)
        print(f"  circuit open after {rounds} rounds, {time.monotonic() - started:.1f}s")
        during = await run_load(host, port, balance, concurrency=4, total=requests)
        fail_fast = await run_load(host, port, refused_payment, concurrency=4, total=requests)
    finally:
        await _set_mode(host, gateway_port, "happy")
    return OutageResult(before, during, fail_fast, rounds)
