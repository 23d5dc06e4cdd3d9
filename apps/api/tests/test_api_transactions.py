"""GET /wallets/{user_id}/transactions: keyset pagination, filters, validation."""

from __future__ import annotations

import asyncio

import pytest
from wallet_api.schemas.transactions import TransactionPage
from wallet_api_testkit import Api, assert_error, new_user_id


async def _page(api: Api, user_id: str, **params: object) -> TransactionPage:
    response = await api.client.get(f"/wallets/{user_id}/transactions", params=params)
    assert response.status_code == 200, response.text
    # The documented model parses the live body: the OpenAPI shape and the JSON agree.
    return TransactionPage.model_validate_json(response.content)


async def test_walk_sees_each_original_row_once_in_order_while_rows_are_added(
    api: Api,
) -> None:
    user_id = await api.create_wallet()
    originals = []
    for amount in range(1, 31):
        response = await api.deposit(user_id, amount)
        originals.append(response.json()["id"])
    walking = asyncio.Event()

    async def keep_inserting() -> None:
        await walking.wait()
        for amount in range(1000, 1010):
            assert (await api.deposit(user_id, amount)).status_code == 201
            await asyncio.sleep(0)

    async def walk() -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, object] = {"limit": 7}
            if cursor is not None:
                params["cursor"] = cursor
            page = await _page(api, user_id, **params)
            walking.set()
            seen += [str(item.id) for item in page.items]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor

    seen, _ = await asyncio.gather(walk(), keep_inserting())
    seen_originals = [i for i in seen if i in set(originals)]
    assert seen_originals == list(reversed(originals))  # newest first, each exactly once
    assert len(seen) == len(set(seen))


async def test_last_page_has_null_cursor_and_default_limit_is_50(api: Api) -> None:
    user_id = await api.funded_wallet(5)
    page = await _page(api, user_id)
    assert len(page.items) == 1
    assert page.next_cursor is None
    for _ in range(50):
        await api.deposit(user_id, 1)
    page = await _page(api, user_id)
    assert len(page.items) == 50
    assert page.next_cursor is not None
    rest = await _page(api, user_id, cursor=page.next_cursor)
    assert len(rest.items) == 1
    assert rest.next_cursor is None


async def test_filters(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    await api.deposit(user_id, 500, "EUR")
    assert (await api.pay(user_id, 10)).status_code == 201
    assert (await api.pay(user_id, 20, "mock:declined:x")).status_code == 402

    payments = await _page(api, user_id, type="PAYMENT")
    assert [(p.amount, p.status) for p in payments.items] == [(20, "DECLINED"), (10, "APPROVED")]
    refunds = await _page(api, user_id, type="REFUND")
    assert [(r.amount, str(r.refund_of)) for r in refunds.items] == [
        (20, str(payments.items[0].id))
    ]
    approved = await _page(api, user_id, status="APPROVED")
    assert [p.amount for p in approved.items] == [10]
    euros = await _page(api, user_id, currency="EUR")
    assert [(e.amount, e.type) for e in euros.items] == [(500, "DEPOSIT")]
    both = await _page(api, user_id, type="DEPOSIT", currency="USD")
    assert [d.amount for d in both.items] == [1000]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"limit": "x"},
        {"limit": "1.5"},
        {"cursor": "not-a-cursor"},
        {"cursor": ""},
        {"cursor": "djE6"},  # the right prefix, too short
        {"type": "WITHDRAWAL"},
        {"type": "payment"},
        {"status": "DONE"},
        {"currency": "usd"},
        {"currency": "XXX"},
    ],
    ids=repr,
)
async def test_bad_query_parameters_are_400(api: Api, params: dict[str, object]) -> None:
    user_id = await api.funded_wallet(1)
    response = await api.client.get(f"/wallets/{user_id}/transactions", params=params)
    assert_error(response, 400, "VALIDATION_ERROR")


async def test_limit_bounds_are_inclusive(api: Api) -> None:
    user_id = await api.funded_wallet(1)
    assert len((await _page(api, user_id, limit=1)).items) == 1
    assert len((await _page(api, user_id, limit=200)).items) == 1


async def test_unknown_wallet_is_404(api: Api) -> None:
    response = await api.client.get(f"/wallets/{new_user_id()}/transactions")
    assert_error(response, 404, "NOT_FOUND")
