"""Two-phase deposits over HTTP: PENDING, then COMPLETED or REVERTED, once."""

from __future__ import annotations

import uuid
from typing import Any

from wallet_api_testkit import Api, assert_error, created


async def _pending(api: Api, user_id: str, amount: int) -> dict[str, Any]:
    return created(await api.deposit(user_id, amount, two_phase=True))


async def _usd(api: Api, user_id: str) -> tuple[int, int, int, int]:
    """The wallet's USD line: available, pending debit, pending credit, total."""
    [balance] = (await api.client.get(f"/wallets/{user_id}")).json()["balances"]
    assert balance["currency"] == "USD"
    fields = ("available", "pending_debit", "pending_credit", "total")
    assert set(balance) == {"currency", *fields}
    return (
        balance["available"],
        balance["pending_debit"],
        balance["pending_credit"],
        balance["total"],
    )


async def test_a_two_phase_deposit_is_pending_credit_until_completed(api: Api) -> None:
    user_id = await api.funded_wallet(100)
    deposit = await _pending(api, user_id, 500)

    assert (deposit["type"], deposit["status"]) == ("DEPOSIT", "PENDING")
    assert await _usd(api, user_id) == (100, 0, 500, 100)
    url = f"/wallets/{user_id}/deposits/{deposit['id']}"
    done = await api.client.post(f"{url}/complete")
    again = await api.client.post(f"{url}/complete")

    assert (done.status_code, done.json()["status"]) == (200, "COMPLETED")
    assert again.json() == done.json()
    assert await _usd(api, user_id) == (600, 0, 0, 600)
    error = assert_error(await api.client.post(f"{url}/revert"), 409, "INVALID_STATE")
    assert error["details"] == {"status": "COMPLETED"}


async def test_revert_drops_a_pending_deposit(api: Api) -> None:
    user_id = await api.funded_wallet(100)
    deposit = await _pending(api, user_id, 500)
    url = f"/wallets/{user_id}/deposits/{deposit['id']}"

    reverted = await api.client.post(f"{url}/revert")

    assert (reverted.status_code, reverted.json()["status"]) == (200, "REVERTED")
    assert await _usd(api, user_id) == (100, 0, 0, 100)
    error = assert_error(await api.client.post(f"{url}/complete"), 409, "INVALID_STATE")
    assert error["details"] == {"status": "REVERTED"}


async def test_unknown_or_another_wallets_deposit_is_404(api: Api) -> None:
    owner = await api.funded_wallet(100)
    other = await api.create_wallet()
    deposit = await _pending(api, owner, 50)
    assert_error(
        await api.client.post(f"/wallets/{other}/deposits/{deposit['id']}/complete"),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await api.client.post(f"/wallets/{owner}/deposits/{uuid.uuid4()}/revert"), 404, "NOT_FOUND"
    )
    paid = await api.pay(owner, 10, "bill-1")
    assert_error(
        await api.client.post(f"/wallets/{owner}/deposits/{paid.json()['id']}/complete"),
        404,
        "NOT_FOUND",
    )


async def test_get_wallet_of_an_unknown_wallet_is_404(api: Api) -> None:
    assert_error(await api.client.get(f"/wallets/nobody-{uuid.uuid4().hex}"), 404, "NOT_FOUND")
