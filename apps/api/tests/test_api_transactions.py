"""GET /wallets/{user_id}/transactions: keyset pagination, filters, validation."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator

import pytest
from wallet_api.schemas.transactions import TransactionOut, TransactionPage
from wallet_api_testkit import Api, StartApi, assert_error, new_user_id
from wallet_domain.use_cases.list_transactions import ListTransactions


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


async def _walk(api: Api, user_id: str, *, limit: int) -> list[TransactionOut]:
    seen: list[TransactionOut] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = await _page(api, user_id, **params)
        seen += page.items
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.fixture
async def roomy_api(start_api: StartApi) -> AsyncIterator[Api]:
    """Generous gateway timeouts: many payments on one event loop must not time out."""
    async with start_api(
        gateway_connect_timeout_s=2.0, gateway_attempt_timeout_s=5.0, gateway_retry_budget_s=10.0
    ) as api:
        yield api


async def test_order_agrees_with_the_timestamps_shown_under_concurrent_writes(
    roomy_api: Api,
) -> None:
    """Deposits and payments (approved and declined, whose refunds come later) run all at
    once; every page walk shows each row once, newest created_at first, ties by id."""
    api = roomy_api
    user_id = await api.funded_wallet(100_000)
    writes = [api.deposit(user_id, 10 + i) for i in range(12)]
    writes += [api.pay(user_id, 5, f"bill-{i}") for i in range(6)]
    writes += [api.pay(user_id, 7, f"mock:declined:{i}") for i in range(4)]
    statuses = sorted(r.status_code for r in await asyncio.gather(*writes))
    assert statuses == [201] * 18 + [402] * 4

    for limit in (1, 3, 50):
        seen = await _walk(api, user_id, limit=limit)
        assert len(seen) == 1 + 12 + 6 + 4 + 4  # the funding, then the writes and 4 refunds
        assert len({item.id for item in seen}) == len(seen)
        shown = [(item.created_at, item.id) for item in seen]
        assert shown == sorted(shown, reverse=True)


def _v1_cursor(entry_id: uuid.UUID) -> str:
    """A cursor as the API issued them when pages were ordered by id alone."""
    raw = b"v1:" + entry_id.bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_a_cursor_issued_before_the_order_changed_still_resumes(api: Api) -> None:
    user_id = await api.funded_wallet(1)
    for amount in range(2, 6):
        assert (await api.deposit(user_id, amount)).status_code == 201
    everything = await _walk(api, user_id, limit=50)

    rest = await _page(api, user_id, cursor=_v1_cursor(everything[1].id))
    assert rest.items == everything[2:]
    assert rest.next_cursor is None
    stranger = await _page(api, user_id, cursor=_v1_cursor(uuid.uuid4()))
    assert (stranger.items, stranger.next_cursor) == ([], None)


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
        {"cursor": "djE6"},  # the old prefix, too short
        {"cursor": "djI6"},  # the right prefix, too short
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


async def test_without_replicas_the_history_use_case_is_built_once_per_process(api: Api) -> None:
    # PrimaryOnlyHistoryProvider: no ReadRouter, session or adapters per history request.
    container = api.app.state.dishka_container
    assert await container.get(ListTransactions) is await container.get(ListTransactions)
