"""A wallet's version (its ETag) moves with every change of its balances, whoever makes
it (a request, the recovery worker, the hold expiry job), and never with another
wallet's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from wallet_api.ops.hold_expiry import expire_once
from wallet_api.ops.payment_recovery import recover_once
from wallet_api_testkit import Api, StartApi, assert_error, new_key, wallet_etag
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

MOCK_HANG_S: Final = 0.3  # as the other API tests' mock: longer than one gateway attempt
RESOLVE_NOW: Final = ResolvePendingRequest(
    older_than=timedelta(0), batch=1000, lookup_timeout_s=2.0
)


def _version(etag: str) -> int:
    assert etag.startswith('"v'), etag
    assert etag.endswith('"'), etag
    return int(etag[2:-1])


async def _post(api: Api, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await api.client.post(url, json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code in {200, 201}, response.text
    reply: dict[str, Any] = response.json()
    return reply


class Watch:
    """The wallet under test's version around each step, and a bystander's, unchanged."""

    def __init__(self, api: Api, user_id: str, bystander: str) -> None:
        self.api, self.user_id, self.bystander = api, user_id, bystander
        self.bystander_etag = ""

    async def start(self) -> None:
        self.bystander_etag = await wallet_etag(self.api, self.bystander)

    async def step(self, bumps: int, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action`; the version must have grown by `bumps` (each balance write is one)."""
        before = _version(await wallet_etag(self.api, self.user_id))
        await action()
        after = _version(await wallet_etag(self.api, self.user_id))
        assert after == before + bumps, (before, after)
        assert await wallet_etag(self.api, self.bystander) == self.bystander_etag


async def test_every_balance_change_moves_the_version_and_no_other_wallets(api: Api) -> None:
    user_id, bystander, other = (
        await api.funded_wallet(10_000),
        await api.funded_wallet(10_000),
        await api.create_wallet(),
    )
    wallet = f"/wallets/{user_id}"
    watch = Watch(api, user_id, bystander)
    await watch.start()

    await watch.step(1, lambda: api.deposit(user_id, 100))
    await watch.step(1, lambda: api.deposit(user_id, 100, "EUR"))  # a new currency
    announce = {"amount": 50, "currency": "USD", "two_phase": True}
    await watch.step(1, lambda: _post(api, f"{wallet}/deposits", announce))
    pending = await _post(api, f"{wallet}/deposits", announce)
    await watch.step(1, lambda: _post(api, f"{wallet}/deposits/{pending['id']}/complete"))
    dropped = await _post(api, f"{wallet}/deposits", announce)
    await watch.step(1, lambda: _post(api, f"{wallet}/deposits/{dropped['id']}/revert"))
    # A payment debits (PENDING) and then settles: two changes of the balance row.
    await watch.step(2, lambda: api.pay(user_id, 100))
    await watch.step(2, lambda: api.pay(user_id, 100, "mock:declined:bill"))  # refunded
    await watch.step(1, lambda: _post(api, f"{wallet}/holds", {"amount": 5, "currency": "USD"}))
    hold = await _post(api, f"{wallet}/holds", {"amount": 300, "currency": "USD"})
    await watch.step(1, lambda: _post(api, f"{wallet}/holds/{hold['id']}/complete", {"amount": 1}))
    another = await _post(api, f"{wallet}/holds", {"amount": 5, "currency": "USD"})
    await watch.step(1, lambda: _post(api, f"{wallet}/holds/{another['id']}/revert"))
    transfer = {"from_user_id": user_id, "to_user_id": other, "amount": 7, "currency": "USD"}
    receiver_before = _version(await wallet_etag(api, other))
    await watch.step(1, lambda: _post(api, "/transfers", transfer))
    assert _version(await wallet_etag(api, other)) == receiver_before + 1
    back = {**transfer, "from_user_id": other, "to_user_id": user_id, "amount": 2}
    await watch.step(1, lambda: _post(api, "/transfers", back))

    # A refusal changes nothing.
    await watch.step(0, lambda: api.pay(user_id, 10**9))


async def test_a_hold_expiring_moves_the_version(api: Api) -> None:
    user_id, bystander = await api.funded_wallet(1_000), await api.funded_wallet(1_000)
    hold = await _post(
        api, f"/wallets/{user_id}/holds", {"amount": 300, "currency": "USD", "expires_in_s": 1}
    )
    watch = Watch(api, user_id, bystander)
    await watch.start()
    due = datetime.fromisoformat(hold["expires_at"])
    await eventually(lambda: _after(due), timeout_s=5)

    async def expire() -> None:
        await expire_once(api.app.state.dishka_container, batch=1_000)
        status = (await api.client.get(f"/wallets/{user_id}/holds/{hold['id']}")).json()
        assert status["status"] == "EXPIRED"

    await watch.step(1, expire)


async def _after(moment: datetime) -> bool:
    return datetime.now(UTC) > moment


async def test_a_pending_payment_settled_by_the_worker_moves_the_version(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    async with start_api(database_url=own_database_url, mock_app=mock) as api:
        user_id, bystander = await api.funded_wallet(1_000), await api.funded_wallet(1_000)
        watch = Watch(api, user_id, bystander)
        await watch.start()
        await watch.step(1, lambda: _unknown_outcome(api, user_id))  # debited, left PENDING

        async def settle() -> None:
            transport = httpx.ASGITransport(app=mock)
            async with httpx.AsyncClient(transport=transport, base_url="http://g") as gateway:
                assert (await gateway.post("/admin/release")).json() == {"released": 1}
            report = await recover_once(api.app.state.dishka_container, RESOLVE_NOW)
            assert report.resolved == 1

        await watch.step(1, settle)  # PENDING -> APPROVED: the held amount leaves pending


async def _unknown_outcome(api: Api, user_id: str) -> None:
    response = await api.pay(user_id, 300, "mock:unknown:bill")
    assert assert_error(response, 504, "GATEWAY_TIMEOUT")["details"]["resolution"] == "pending"
