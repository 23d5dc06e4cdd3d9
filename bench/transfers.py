"""The transfer phases of `make bench`: transfers/s and CPU per transfer.

Two loads of 1-unit USD transfers through `POST /transfers`: "spread" (between two random
different bench wallets, so locks rarely meet) and "hot receiver" (every transfer into one
wallet, so each waits for the one before on that balance row: the ceiling of a popular
merchant). CPU per transfer is measured two ways (`op_cpu`): the API's processes alone
(every worker of its process group, from /proc), which the rest of a shared machine barely
moves, and the whole host's busy time (the API, PostgreSQL and the load client), which it
does. pgbench runs the same statement (`pgbench_script.transfer_script`) for comparison.
"""

from __future__ import annotations

import json
import random

from http_load import Connection, Response, run_load
from op_cpu import MeasuredLoad, measured


def _body(sender: str, receiver: str) -> bytes:
    return json.dumps(
        {"from_user_id": sender, "to_user_id": receiver, "amount": 1, "currency": "USD"}
    ).encode()


async def bench_transfers(
    host: str,
    port: int,
    wallets: list[str],
    headers: dict[str, str],
    *,
    hot_receiver: bool,
    concurrency: int,
    duration_s: float,
    run_id: str,
    api_pgid: int,
) -> MeasuredLoad:
    rng = random.Random(run_id)

    async def transfer(conn: Connection, n: int) -> Response:
        if hot_receiver:
            sender, receiver = rng.choice(wallets[1:]), wallets[0]
        else:
            sender, receiver = rng.sample(wallets, 2)
        key_headers = {**headers, "Idempotency-Key": f"{run_id}-{n}"}
        return await conn.request("POST", "/transfers", key_headers, _body(sender, receiver))

    load = run_load(host, port, transfer, concurrency=concurrency, duration_s=duration_s)
    return await measured(api_pgid, load)
