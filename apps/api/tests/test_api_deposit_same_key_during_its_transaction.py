"""A same-key deposit arriving while the first is inside its one transaction waits for the
commit and is answered the first reply: never a second credit, never a lost key (the
documented alternative to a `409` and a retry for one-transaction writes)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, new_key
from wallet_testkit.polling import eventually

_WAITING_ON_LOCKS = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


async def test_a_same_key_deposit_during_the_first_ones_transaction_gets_its_reply_once(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(100)
    key = new_key()
    async with engine.connect() as blocker:
        # Another write holds the wallet's USD row: the first deposit claims its key, then
        # waits for the row inside its transaction.
        await blocker.execute(
            text(
                "SELECT 1 FROM wallet_balances WHERE user_id = :u AND currency = 'USD' FOR UPDATE"
            ),
            {"u": user_id},
        )

        async def waiting(count: int) -> bool:
            async with engine.connect() as probe:
                return int(await probe.scalar(_WAITING_ON_LOCKS) or 0) >= count

        first = asyncio.create_task(api.deposit(user_id, 700, key=key))
        await eventually(lambda: waiting(1), timeout_s=10)
        second = asyncio.create_task(api.deposit(user_id, 700, key=key))
        await eventually(lambda: waiting(2), timeout_s=10)  # on the first one's key
        await blocker.rollback()
    first_reply, second_reply = await first, await second

    assert first_reply.status_code == 201, first_reply.text
    assert second_reply.status_code == 201, second_reply.text
    assert second_reply.headers["Idempotent-Replayed"] == "true"
    assert second_reply.content == first_reply.content
    assert await api.balances(user_id) == {"USD": {"available": 800, "pending": 0}}
