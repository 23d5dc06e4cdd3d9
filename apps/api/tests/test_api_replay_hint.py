"""A payment replayed in the process that answered its key (the key noted there: one
lookup answers it) and in another one (nothing noted: the opening's claim finds the
reply): the same answer either way, nothing written twice, and a key purged since is
free again in both."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, StartApi, assert_error, assert_replayed, fetch, new_key
from wallet_domain.ports.answered_keys import AnsweredKeys


async def _noted(api: Api, user_id: str, key: str) -> bool:
    answered = await api.app.state.dishka_container.get(AnsweredKeys)
    noted: bool = answered.noted(user_id, key)
    return noted


async def _paid(api: Api) -> tuple[str, str, httpx.Response]:
    """A 250 USD payment from a new wallet of 1,000 under a new key, answered 201 and
    noted by the process that answered it: (user_id, key, its answer)."""
    user_id = await api.funded_wallet(1000)
    key = new_key()
    first = await api.pay(user_id, 250, key=key)
    assert first.status_code == 201, first.text
    assert await _noted(api, user_id, key)
    return user_id, key, first


async def _payments(engine: AsyncEngine, user_id: str) -> list[str]:
    sql = "SELECT status FROM transactions WHERE user_id = :u AND type = 'PAYMENT' ORDER BY id"
    return [row.status for row in await fetch(engine, sql, u=user_id)]


async def test_a_replay_answers_alike_in_the_process_that_answered_and_in_another(
    api: Api, start_api: StartApi, engine: AsyncEngine
) -> None:
    user_id, key, first = await _paid(api)

    assert_replayed(first, await api.pay(user_id, 250, key=key))
    assert_error(await api.pay(user_id, 251, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    async with start_api() as other:
        assert not await _noted(other, user_id, key)
        assert_replayed(first, await other.pay(user_id, 250, key=key))
        assert await _noted(other, user_id, key), "noted once its opening found the reply"
        assert_replayed(first, await other.pay(user_id, 250, key=key))
        assert_error(await other.pay(user_id, 251, key=key), 422, "IDEMPOTENCY_KEY_REUSED")

    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}
    assert await _payments(engine, user_id) == ["APPROVED"]


async def test_a_refusal_is_noted_and_replayed_from_one_lookup(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(100)
    key = new_key()
    first = await api.pay(user_id, 101, key=key)
    assert_error(first, 409, "INSUFFICIENT_FUNDS")
    assert await _noted(api, user_id, key)

    assert_replayed(first, await api.pay(user_id, 101, key=key))

    assert await _payments(engine, user_id) == []


async def test_a_key_purged_after_its_reply_was_noted_pays_again(
    api: Api, engine: AsyncEngine
) -> None:
    user_id, key, first = await _paid(api)
    async with engine.begin() as conn:  # what the purge does once the retention is over
        await conn.execute(
            text("DELETE FROM idempotency_keys WHERE user_id = :u AND key = :k"),
            {"u": user_id, "k": key},
        )

    again = await api.pay(user_id, 250, key=key)

    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert await api.balances(user_id) == {"USD": {"available": 500, "pending": 0}}
    assert await _payments(engine, user_id) == ["APPROVED", "APPROVED"]
    assert_replayed(again, await api.pay(user_id, 250, key=key))
