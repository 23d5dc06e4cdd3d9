"""GET /wallets/{user_id}/holds pages newest first by `created_at`, ties by id, as
documented (docs/api.md, Pagination), when ids and timestamps disagree: ids are made in
each process and `created_at` read at another moment of the request."""

from __future__ import annotations

import uuid
from typing import Any

from list_order_kit import insert_holds, v1_cursor
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api


async def _out_of_id_order(engine: AsyncEngine, user_id: str) -> list[str]:
    """Four of the wallet's holds whose created_at order differs from their id order (the
    oldest id is the newest, two share a timestamp): their ids newest first, ties by id."""
    ids = await insert_holds(engine, user_id, [0, 2, 2, 3])
    return [ids[i] for i in (0, 2, 1, 3)]


async def _page(api: Api, user_id: str, **params: Any) -> dict[str, Any]:
    response = await api.client.get(f"/wallets/{user_id}/holds", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_holds_are_paged_by_created_at_then_id_whatever_the_id_order(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.create_wallet()
    expected = await _out_of_id_order(engine, user_id)

    seen: list[str] = []
    cursors: list[str] = []
    page = await _page(api, user_id, limit=1)
    while True:
        seen += [h["id"] for h in page["items"]]
        if page["next_cursor"] is None:
            break
        cursors.append(page["next_cursor"])
        page = await _page(api, user_id, limit=1, cursor=page["next_cursor"])

    assert seen == expected
    assert all(cursor.startswith("djI6") for cursor in cursors), cursors


async def test_a_hold_cursor_issued_before_the_order_changed_still_resumes(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.create_wallet()
    expected = await _out_of_id_order(engine, user_id)
    strangers = await _out_of_id_order(engine, await api.create_wallet())

    rest = await _page(api, user_id, cursor=v1_cursor(expected[1]))
    assert [h["id"] for h in rest["items"]] == expected[2:]
    assert rest["next_cursor"] is None
    # One naming no hold of this wallet (another wallet's, with a newer id; none at all)
    # ends the walk.
    for stranger in (strangers[0], str(uuid.uuid4())):
        assert await _page(api, user_id, cursor=v1_cursor(stranger)) == {
            "items": [],
            "next_cursor": None,
        }
