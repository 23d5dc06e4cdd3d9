"""503 GATEWAY_UNAVAILABLE when the bulkhead is full: refused before any debit."""

from __future__ import annotations

import asyncio

from wallet_api_testkit import StartApi, assert_error, new_key, wait_until_held


async def test_full_bulkhead_is_503_with_retry_after_and_keeps_the_key(
    start_api: StartApi,
) -> None:
    async with start_api(gateway_max_concurrent=1, mock_hang_s=0.3) as api:
        user_id = await api.funded_wallet(1000)
        hanging = asyncio.create_task(api.pay(user_id, 100, "mock:timeout:hold"))
        await wait_until_held(api, user_id, 100)  # it holds the one gateway slot
        assert not hanging.done()

        key = new_key()
        refused = await api.pay(user_id, 200, key=key)
        assert_error(refused, 503, "GATEWAY_UNAVAILABLE")
        assert int(refused.headers["Retry-After"]) >= 1
        # Only the hanging payment holds money; the refused one debited nothing.
        assert await api.balances(user_id) == {"USD": {"available": 900, "pending": 100}}

        assert_error(await hanging, 504, "GATEWAY_TIMEOUT")
        retried = await api.pay(user_id, 200, key=key)  # the key was not consumed
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
        assert await api.balances(user_id) == {"USD": {"available": 800, "pending": 0}}
