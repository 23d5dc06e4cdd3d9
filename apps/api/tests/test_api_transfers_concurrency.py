"""Transfers under concurrency on the real PostgreSQL: no deadlock error reaches a client,
no overdraft, and transfers never change how much money the wallets hold together."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Final

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, new_key

_TOTAL: Final = text(
    "SELECT coalesce(sum(balance), 0) AS total FROM wallet_balances"
    " WHERE user_id = ANY(:users) AND currency = 'USD'"
)
_LEDGER_MISMATCHES: Final = text(
    """
    SELECT b.user_id FROM wallet_balances b
    WHERE b.user_id = ANY(:users) AND b.balance <> (
        SELECT coalesce(sum(t.amount), 0) FROM transactions t
        WHERE t.user_id = b.user_id AND t.currency = b.currency)
    """
)


async def _transfer(api: Api, sender: str, receiver: str, amount: int) -> httpx.Response:
    return await api.client.post(
        "/transfers",
        json={"from_user_id": sender, "to_user_id": receiver, "amount": amount, "currency": "USD"},
        headers={"Idempotency-Key": new_key()},
    )


async def _total(engine: AsyncEngine, users: list[str]) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(_TOTAL, {"users": users})).scalar_one())


async def _assert_ledgers_whole(engine: AsyncEngine, users: list[str]) -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(_LEDGER_MISMATCHES, {"users": users})).all() == []


async def test_200_opposite_transfers_at_once_all_succeed_and_add_up(
    api: Api, engine: AsyncEngine
) -> None:
    a, b = await api.funded_wallet(100_000), await api.funded_wallet(100_000)
    plan = [(a, b, 7) if n % 2 else (b, a, 5) for n in range(200)]

    responses = await asyncio.gather(*(_transfer(api, *step) for step in plan))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 200}, [r.text for r in responses if r.status_code != 201][:3]
    assert await api.balances(a) == {"USD": {"available": 100_000 - 700 + 500, "pending": 0}}
    assert await api.balances(b) == {"USD": {"available": 100_000 + 700 - 500, "pending": 0}}
    await _assert_ledgers_whole(engine, [a, b])


async def test_opposite_transfers_that_run_dry_only_ever_refuse_cleanly(api: Api) -> None:
    """Small balances: many transfers are refused, none fails otherwise, and the final
    balances are exactly what the successful ones moved."""
    a, b = await api.funded_wallet(60), await api.funded_wallet(40)
    plan = [(a, b, 9) if n % 2 else (b, a, 4) for n in range(200)]

    responses = await asyncio.gather(*(_transfer(api, *step) for step in plan))

    assert {r.status_code for r in responses} <= {201, 409}
    assert all(
        r.json()["error"]["code"] == "INSUFFICIENT_FUNDS" for r in responses if r.status_code == 409
    )
    moved = sum(
        (-amount if sender == a else amount)
        for (sender, _, amount), r in zip(plan, responses, strict=True)
        if r.status_code == 201
    )
    assert await api.balances(a) == {"USD": {"available": 60 + moved, "pending": 0}}
    assert await api.balances(b) == {"USD": {"available": 40 - moved, "pending": 0}}


async def test_a_ring_of_wallets_keeps_its_total_during_and_after_the_run(
    api: Api, engine: AsyncEngine
) -> None:
    ring = [await api.funded_wallet(1_000) for _ in range(8)]
    total = 8 * 1_000
    done = asyncio.Event()
    seen: list[int] = []

    async def watch() -> None:
        while not done.is_set():
            seen.append(await _total(engine, ring))
            await asyncio.sleep(0)

    async def run() -> list[httpx.Response]:
        steps = [
            _transfer(api, ring[i], ring[(i + 1) % len(ring)], 1 + (i * 37 + r) % 300)
            for r in range(25)
            for i in range(len(ring))
        ]
        try:
            return await asyncio.gather(*steps)
        finally:
            done.set()

    responses, _ = await asyncio.gather(run(), watch())

    assert {r.status_code for r in responses} <= {201, 409}
    assert Counter(r.status_code for r in responses)[201] > 0
    assert seen
    assert set(seen) == {total}, Counter(seen)
    assert await _total(engine, ring) == total
    await _assert_ledgers_whole(engine, ring)


async def test_exactly_as_many_of_100_parallel_transfers_succeed_as_the_balance_affords(
    api: Api,
) -> None:
    balance, amount = 1_000, 70
    sender, receiver = await api.funded_wallet(balance), await api.funded_wallet(0)

    responses = await asyncio.gather(
        *(_transfer(api, sender, receiver, amount) for _ in range(100))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: balance // amount, 409: 100 - balance // amount}
    assert await api.balances(sender) == {"USD": {"available": balance % amount, "pending": 0}}
    assert await api.balances(receiver) == {
        "USD": {"available": balance // amount * amount, "pending": 0}
    }
