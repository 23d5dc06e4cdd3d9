"""GET /wallets/{user_id}/balance."""

from __future__ import annotations

from typing import Any

from wallet_api.schemas.balances import BalancesOut
from wallet_api_testkit import Api, assert_error, new_user_id
from wallet_domain.use_cases.get_balance import GetBalance


def _settled(currency: str, amount: int) -> dict[str, Any]:
    """One currency's balance with `amount` available and nothing pending either way."""
    return {
        "currency": currency,
        "available": amount,
        "pending": 0,
        "pending_debit": 0,
        "pending_credit": 0,
        "total": amount,
    }


async def test_all_currencies_held(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    await api.deposit(user_id, 250, "EUR")
    response = await api.client.get(f"/wallets/{user_id}/balance")
    assert response.status_code == 200
    body = BalancesOut.model_validate_json(response.content)
    assert body.user_id == user_id
    assert [(b.currency, b.available, b.pending) for b in body.balances] == [
        ("EUR", 250, 0),
        ("USD", 1000, 0),
    ]


async def test_one_currency(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    await api.deposit(user_id, 250, "EUR")
    response = await api.client.get(f"/wallets/{user_id}/balance", params={"currency": "EUR"})
    assert response.json() == {"user_id": user_id, "balances": [_settled("EUR", 250)]}


async def test_currency_never_held_reads_zero(api: Api) -> None:
    user_id = await api.create_wallet()
    response = await api.client.get(f"/wallets/{user_id}/balance", params={"currency": "JPY"})
    assert response.json()["balances"] == [_settled("JPY", 0)]


async def test_unsupported_currency_is_400(api: Api) -> None:
    user_id = await api.create_wallet()
    for currency in ("XXX", "usd", ""):
        response = await api.client.get(
            f"/wallets/{user_id}/balance", params={"currency": currency}
        )
        assert_error(response, 400, "VALIDATION_ERROR")


async def test_unknown_wallet_is_404(api: Api) -> None:
    user_id = new_user_id()
    error = assert_error(await api.client.get(f"/wallets/{user_id}/balance"), 404, "NOT_FOUND")
    assert error["details"] == {"user_id": user_id}


async def test_the_balance_use_case_is_built_once_per_process(api: Api) -> None:
    # APP-scoped (its reads hold no session): a balance request resolves nothing per request.
    container = api.app.state.dishka_container
    assert await container.get(GetBalance) is await container.get(GetBalance)
