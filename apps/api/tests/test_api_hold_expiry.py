"""The hold expiry worker through the real app: due holds are released once, EXPIRED, and
a completion racing the worker yields exactly one outcome per hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.ops.hold_expiry import expire_once
from wallet_api_testkit import Api, StartApi, assert_error, created, fetch
from wallet_testkit.polling import eventually


async def _hold(api: Api, user_id: str, amount: int, expires_in_s: int) -> dict[str, Any]:
    return created(await api.hold(user_id, amount, expires_in_s=expires_in_s))


async def _due(hold: dict[str, Any]) -> bool:
    return datetime.now(UTC) > datetime.fromisoformat(hold["expires_at"])


async def _events(engine: AsyncEngine, user_id: str) -> dict[str, list[str]]:
    rows = await fetch(
        engine,
        "SELECT aggregate_id::text AS id, event_type FROM outbox"
        " WHERE user_id = :u AND event_type LIKE 'hold.%' ORDER BY event_id",
        u=user_id,
    )
    events: dict[str, list[str]] = {}
    for row in rows:
        events.setdefault(row.id, []).append(row.event_type)
    return events


async def test_the_worker_in_the_app_expires_a_due_hold(start_api: StartApi) -> None:
    async with start_api(hold_expiry_enabled=True, hold_expiry_interval_s=0.1) as api:
        user_id = await api.funded_wallet(1_000)
        hold = await _hold(api, user_id, 300, expires_in_s=1)
        later = await _hold(api, user_id, 200, expires_in_s=3_600)
        url = f"/wallets/{user_id}/holds/{hold['id']}"

        async def expired() -> bool:
            return bool((await api.client.get(url)).json()["status"] == "EXPIRED")

        await eventually(expired, timeout_s=10)

        assert await api.balances(user_id) == {"USD": {"available": 800, "pending": 200}}
        error = assert_error(await api.client.post(f"{url}/complete"), 409, "INVALID_STATE")
        assert error["details"] == {"status": "EXPIRED"}
        still = await api.client.get(f"/wallets/{user_id}/holds/{later['id']}")
        assert still.json()["status"] == "PENDING"


async def test_completes_racing_the_worker_settle_each_hold_once(
    api: Api, engine: AsyncEngine
) -> None:
    funds, count = 10_000, 20
    user_id = await api.funded_wallet(funds)
    holds = [await _hold(api, user_id, 100 + i, expires_in_s=1) for i in range(count)]
    await eventually(lambda: _due(holds[-1]), timeout_s=5)
    container = api.app.state.dishka_container

    completes = [
        api.client.post(f"/wallets/{user_id}/holds/{h['id']}/complete", json={"amount": 50})
        for h in holds
    ]
    *responses, _ = await asyncio.gather(*completes, expire_once(container, batch=3))

    captured = 0
    for hold, response in zip(holds, responses, strict=True):
        final = (await api.client.get(f"/wallets/{user_id}/holds/{hold['id']}")).json()
        if response.status_code == 200:
            assert final["status"] == "COMPLETED"
            captured += 50
        else:
            error = assert_error(response, 409, "INVALID_STATE")
            assert error["details"] == {"status": "EXPIRED"} == {"status": final["status"]}
    assert await api.balances(user_id) == {"USD": {"available": funds - captured, "pending": 0}}
    events = await _events(engine, user_id)
    assert sorted(len(kinds) for kinds in events.values()) == [2] * count
    async with engine.connect() as conn:
        ledger = await conn.scalar(
            text("SELECT sum(amount) FROM transactions WHERE user_id = :u"), {"u": user_id}
        )
    assert ledger == funds - captured
