"""A keyed (or If-Match) complete runs in a transaction that begins with the key's claim;
if it then waits for the hold's row lock (or the wallet's) past `expires_at`, its deadline
check must read the database's clock after the wait, not the transaction's start (`now()`,
which captured such a hold after its deadline)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, created, fetch
from wallet_testkit.db import until_waiting_on_a_lock
from wallet_testkit.polling import eventually


async def test_a_keyed_complete_that_waited_past_the_deadline_does_not_capture(
    api: Api, engine: AsyncEngine, database_url: str
) -> None:
    user_id = await api.funded_wallet(1_000)
    hold: dict[str, Any] = created(await api.hold(user_id, 300, expires_in_s=2))
    expires_at = datetime.fromisoformat(hold["expires_at"])
    url = f"/wallets/{user_id}/holds/{hold['id']}/complete"

    async with engine.connect() as locker:
        # Any transaction holding the hold's row for a while and then rolling back: a
        # keyed complete refused 422/412, an If-Match one waiting on the wallet, ...
        await locker.execute(
            text("SELECT 1 FROM holds WHERE id = :h FOR UPDATE"), {"h": hold["id"]}
        )
        late = asyncio.create_task(
            api.client.post(url, json={"amount": 100}, headers={"Idempotency-Key": "k-late"})
        )

        await until_waiting_on_a_lock(database_url, "%FROM holds%FOR UPDATE%")

        async def due() -> bool:
            [row] = await fetch(engine, "SELECT now() > :e AS due", e=expires_at)
            return bool(row.due)

        await eventually(due, timeout_s=10)  # past the deadline by the database's clock
        await locker.rollback()

    response = await late
    [row] = await fetch(
        engine,
        "SELECT status, updated_at, now() > expires_at AS late FROM holds WHERE id = :h",
        h=hold["id"],
    )
    # What happens today: 200, COMPLETED, 100 captured after the deadline.
    assert (response.status_code, row.status) == (409, "EXPIRED"), response.text
