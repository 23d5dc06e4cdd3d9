"""Reads from a real streaming replica (`WALLET_TEST_REPLICA_URL`, made by `.ci/run`).

Where a read went is shown two ways: `wallet_db_reads_total{target}`, and staleness on
purpose: with the replica's replay paused, a row written since is missing from what the
replica serves and present on the primary. Every test that pauses or stops the replica
resumes or starts it in a `finally` (wallet_testkit.replica); the one that stops it is
last in this module, the only one using the replica.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import httpx
import pytest
import pytest_asyncio
from list_order_kit import insert_holds, v1_cursor
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import StartApi
from wallet_testkit.api import Api, created, new_key
from wallet_testkit.polling import eventually
from wallet_testkit.replica import Replica

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHECK_INTERVAL_S: Final = 0.1
TOLERANT_MS: Final = 600_000  # a paused replica stays in use: its staleness shows
STRICT_MS: Final = 200  # a paused replica is skipped within a few checks
WAIT_S: Final = 15.0


def reads(target: str) -> float:
    return REGISTRY.get_sample_value("wallet_db_reads_total", {"target": target}) or 0.0


@pytest.fixture
def replica(replica_url: str, database_url: str) -> Replica:
    return Replica(url=replica_url, primary_url=database_url)


@pytest.fixture
def replica_api(
    start_api: StartApi, replica_url: str
) -> Callable[[int], AbstractAsyncContextManager[Api]]:
    def start(max_lag_ms: int) -> AbstractAsyncContextManager[Api]:
        return start_api(
            database_replica_urls=replica_url,
            replica_max_lag_ms=max_lag_ms,
            replica_check_interval_s=CHECK_INTERVAL_S,
        )

    return start


@pytest_asyncio.fixture(loop_scope="session")
async def tolerant_api(
    replica_api: Callable[[int], AbstractAsyncContextManager[Api]],
) -> AsyncIterator[Api]:
    """An app whose replica stays in use while paused (its lag is far under the max)."""
    async with replica_api(TOLERANT_MS) as api:
        await replica_state(api, in_use=True)
        yield api


async def replica_state(api: Api, **expected: Any) -> dict[str, Any]:
    """/readyz's one replica once it shows `expected` (the API stays ready throughout)."""
    found: dict[str, Any] = {}

    async def shows() -> bool:
        response = await api.client.get("/readyz")
        assert response.status_code == 200, response.text
        (found_now,) = response.json()["replicas"]
        found.update(found_now)
        return expected.items() <= found_now.items()

    await eventually(shows, timeout_s=WAIT_S)
    return found


async def history(api: Api, user_id: str, **headers: str) -> list[int]:
    response = await api.client.get(f"/wallets/{user_id}/transactions", headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["amount"] for item in response.json()["items"])


async def deposited(api: Api, user_id: str, amount: int) -> None:
    response = await api.deposit(user_id, amount)
    assert response.status_code == 201, response.text


async def test_history_comes_from_the_replica_and_strong_consistency_from_the_primary(
    tolerant_api: Api, replica: Replica
) -> None:
    api = tolerant_api
    user_id = await api.funded_wallet(100)
    async with replica.paused():
        await deposited(api, user_id, 7)
        before = reads("replica")
        assert await history(api, user_id) == [100]  # the replica has not replayed the 7
        assert reads("replica") > before
        assert await history(api, user_id, **{"X-Wallet-Consistency": "strong"}) == [7, 100]
    await replica.caught_up()
    assert await history(api, user_id) == [7, 100]


async def test_dispute_lists_come_from_the_replica_and_strong_consistency_from_the_primary(
    tolerant_api: Api, replica: Replica
) -> None:
    api = tolerant_api
    user_id = await api.funded_wallet(1_000)
    paid = await api.pay(user_id, 100)
    assert paid.status_code == 201, paid.text
    await replica.caught_up()
    async with replica.paused():
        opened = await api.client.post(
            f"/wallets/{user_id}/payments/{paid.json()['id']}/disputes",
            json={"reason": "never arrived"},
            headers={"Idempotency-Key": new_key()},
        )
        assert opened.status_code == 201, opened.text
        before = reads("replica")
        stale = await api.client.get(f"/wallets/{user_id}/disputes")
        assert stale.json()["items"] == []  # the replica has not replayed the new dispute
        assert reads("replica") > before
        strong = await api.client.get(
            f"/wallets/{user_id}/disputes", headers={"X-Wallet-Consistency": "strong"}
        )
        assert [d["id"] for d in strong.json()["items"]] == [opened.json()["id"]]


async def test_a_lagging_replica_is_skipped_and_used_again_once_caught_up(
    replica_api: Callable[[int], AbstractAsyncContextManager[Api]], replica: Replica
) -> None:
    async with replica_api(STRICT_MS) as api:
        await replica_state(api, up=True, in_use=True)
        user_id = await api.funded_wallet(100)
        async with replica.paused():
            await deposited(api, user_id, 7)
            lagging = await replica_state(api, up=True, in_use=False)
            assert lagging["lag_ms"] > STRICT_MS
            before = reads("replica"), reads("primary")
            assert await history(api, user_id) == [7, 100]  # only the primary has the 7
            # One read: a page with entries shows the wallet exists.
            assert (reads("replica"), reads("primary")) == (before[0], before[1] + 1)
        await replica_state(api, up=True, in_use=True)
        before_replica = reads("replica")
        assert await history(api, user_id) == [7, 100]
        assert reads("replica") > before_replica


async def test_a_payment_the_replica_does_not_have_yet_is_read_from_the_primary(
    tolerant_api: Api, replica: Replica
) -> None:
    api = tolerant_api
    user_id = await api.funded_wallet(1_000)
    async with replica.paused():
        paid = await api.pay(user_id, 100)
        assert paid.status_code == 201, paid.text
        before = reads("replica"), reads("primary")
        got = await api.client.get(f"/wallets/{user_id}/payments/{paid.json()['id']}")
        assert got.status_code == 200, got.text
        assert got.json()["status"] == paid.json()["status"]
        assert (reads("replica"), reads("primary")) == (before[0] + 1, before[1] + 1)


async def test_a_hold_the_replica_shows_pending_is_read_from_the_primary_once_settled(
    tolerant_api: Api, replica: Replica
) -> None:
    api = tolerant_api
    user_id = await api.funded_wallet(1_000)
    hold = created(await api.hold(user_id, 100))
    url = f"/wallets/{user_id}/holds/{hold['id']}"
    async with replica.paused():
        completed = await api.client.post(f"{url}/complete")
        assert completed.status_code == 200, completed.text
        got = await api.client.get(url)
        assert got.status_code == 200, got.text
        assert got.json()["status"] == "COMPLETED"  # the replica still says PENDING
        holds = await api.client.get(f"/wallets/{user_id}/holds")
        assert [h["status"] for h in holds.json()["items"]] == ["PENDING"]  # a stale list


async def test_a_v1_cursor_naming_a_hold_the_replica_lacks_is_placed_by_the_primary(
    tolerant_api: Api, replica: Replica, engine: AsyncEngine
) -> None:
    """A cursor from when holds were listed by id names a hold by id: where it sits is
    asked of the primary when the replica does not have it yet; the page stays the
    replica's."""
    api = tolerant_api
    user_id = await api.create_wallet()
    _, oldest = await insert_holds(engine, user_id, [0, 3])  # seconds ago
    async with replica.paused():
        [named] = await insert_holds(engine, user_id, [2])  # the newest id, between them
        page = await api.client.get(
            f"/wallets/{user_id}/holds", params={"cursor": v1_cursor(named)}
        )
        assert page.status_code == 200, page.text
        assert [h["id"] for h in page.json()["items"]] == [oldest]


async def test_money_moving_requests_never_read_from_the_replica(
    tolerant_api: Api, replica: Replica
) -> None:
    api = tolerant_api
    async with replica.paused():
        # Made while the replica is paused: it knows neither wallet, so a request reading
        # there would answer 404 WALLET_NOT_FOUND.
        before = reads("replica")
        payer = await api.funded_wallet(1_000)
        payee = await api.create_wallet()
        responses: list[httpx.Response] = [
            await api.pay(payer, 100),
            await api.hold(payer, 100),
            await api.client.post(
                "/transfers",
                json={"from_user_id": payer, "to_user_id": payee, "amount": 100, "currency": "USD"},
                headers={"Idempotency-Key": new_key()},
            ),
            await api.client.get(f"/wallets/{payer}/balance"),
            await api.client.get(f"/wallets/{payer}"),
        ]
        for response in responses:
            assert response.status_code in (200, 201), response.text
        assert (await api.balances(payer))["USD"]["available"] == 700
        assert reads("replica") == before


# Last in the module: it takes the replica away for a moment (nothing else uses it).
async def test_a_stopped_replica_is_skipped_and_used_again_once_back(
    tolerant_api: Api, start_api: StartApi, replica_url: str, replica: Replica
) -> None:
    # Checked once at start-up only: a read is what finds this one's replica gone.
    unchecked = start_api(
        database_replica_urls=replica_url,
        replica_max_lag_ms=TOLERANT_MS,
        replica_check_interval_s=3_600,
    )
    async with unchecked as unchecked_api:
        await replica_state(unchecked_api, in_use=True)
        user_id = await tolerant_api.funded_wallet(100)
        async with replica.stopped():
            await deposited(tolerant_api, user_id, 7)
            # The replica read fails, the primary answers, the replica is marked down.
            assert await history(unchecked_api, user_id) == [7, 100]
            assert (await replica_state(unchecked_api))["up"] is False
            # The monitor finds it down too.
            down = await replica_state(tolerant_api, up=False, in_use=False)
            assert down["lag_ms"] is None
            assert await history(tolerant_api, user_id) == [7, 100]
    await replica_state(tolerant_api, up=True, in_use=True)
    before = reads("replica")
    assert await history(tolerant_api, user_id) == [7, 100]
    assert reads("replica") > before
