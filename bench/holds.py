"""The hold phase of `make bench`: hold + complete pairs per second and CPU per pair.

Each operation of the load is what a card-style authorisation costs a client: a 1-unit
USD hold on a random bench wallet (`POST /wallets/{user_id}/holds`, with its required
Idempotency-Key), then, on the same connection, its full capture
(`POST .../holds/{hold_id}/complete`, no body, no key: both are optional). The pair's
latency is both round trips; a pair whose hold was refused counts with the hold's status.
CPU per pair is measured as for transfers (`op_cpu`), so it reads directly against the
API's CPU per payment of the same run. pgbench runs the same statements
(`pgbench_script.hold_script`) for comparison.
"""

from __future__ import annotations

import json
import random

from http_load import Connection, Response, run_load
from op_cpu import MeasuredLoad, measured

_HOLD_BODY = json.dumps({"amount": 1, "currency": "USD"}).encode()


async def bench_holds(
    host: str,
    port: int,
    wallets: list[str],
    headers: dict[str, str],
    *,
    concurrency: int,
    duration_s: float,
    run_id: str,
    api_pgid: int,
) -> MeasuredLoad:
    rng = random.Random(run_id)
    bodiless = {name: value for name, value in headers.items() if name != "Content-Type"}

    async def hold_and_complete(conn: Connection, n: int) -> Response:
        user = rng.choice(wallets)
        key_headers = {**headers, "Idempotency-Key": f"{run_id}-{n}"}
        held = await conn.request("POST", f"/wallets/{user}/holds", key_headers, _HOLD_BODY)
        if held.status != 201:
            return held
        hold_id = json.loads(held.body)["id"]
        return await conn.request("POST", f"/wallets/{user}/holds/{hold_id}/complete", bodiless)

    load = run_load(host, port, hold_and_complete, concurrency=concurrency, duration_s=duration_s)
    return await measured(api_pgid, load)
