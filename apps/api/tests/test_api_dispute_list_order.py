"""GET /wallets/{user_id}/disputes follows the documented order (docs/api.md, Pagination):
newest first by `created_at`, ties by id, even when ids were made in another order.

A dispute's `created_at` is read when its request starts and its id is made later, after
the key claim, the payment lookup and the payment's row lock. A request that waits on
that lock (here: the payment row held by another transaction, as a provider refund
webhook of that payment holds it) gets an id after a dispute opened later: a list by id
alone would show the older `created_at` first.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from dispute_kit import open_dispute
from list_order_kit import v1_cursor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api


async def test_disputes_list_order_agrees_with_created_at_under_concurrent_opens(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1_000)
    first_payment = (await api.pay(user_id, 10, "bill-a")).json()["id"]
    second_payment = (await api.pay(user_id, 10, "bill-b")).json()["id"]

    async with engine.connect() as other:
        # Another transaction on the first payment's row (e.g. a provider refund being applied).
        await other.execute(
            text("SELECT 1 FROM transactions WHERE id = :p FOR UPDATE"), {"p": first_payment}
        )
        slow = asyncio.create_task(open_dispute(api, user_id, first_payment))
        await asyncio.sleep(0.3)  # it has read its clock and now waits on the row lock
        fast = await open_dispute(api, user_id, second_payment)
        assert fast.status_code == 201, fast.text
        await other.rollback()
    slow_response = await slow
    assert slow_response.status_code == 201, slow_response.text

    page = (await api.client.get(f"/wallets/{user_id}/disputes")).json()
    shown = [datetime.fromisoformat(d["created_at"]) for d in page["items"]]
    assert len(shown) == 2
    assert shown == sorted(shown, reverse=True), (
        "newest first by created_at, as documented; got "
        + ", ".join(f"{d['id']} {d['created_at']}" for d in page["items"])
    )
    newest, oldest = (d["id"] for d in page["items"])
    assert newest == fast.json()["id"]
    # A cursor from before this order resumes after the dispute it names.
    rest = await api.client.get(
        f"/wallets/{user_id}/disputes", params={"cursor": v1_cursor(newest)}
    )
    assert ([d["id"] for d in rest.json()["items"]], rest.json()["next_cursor"]) == ([oldest], None)
