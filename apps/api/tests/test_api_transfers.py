"""POST /transfers and GET /transfers/{id}: idempotent, scoped, visible on both sides."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import SCOPED_KEY, SCOPED_USER, Api, assert_error, new_key, new_user_id
from wallet_domain.model.idempotency import fingerprint
from wallet_domain.money import MAX_AMOUNT


async def transfer(
    api: Api,
    sender: str,
    receiver: str,
    amount: int,
    currency: str = "USD",
    *,
    key: str | None = None,
    reference: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "from_user_id": sender,
        "to_user_id": receiver,
        "amount": amount,
        "currency": currency,
    }
    if reference is not None:
        body["reference"] = reference
    return await api.client.post(
        "/transfers", json=body, headers={"Idempotency-Key": key or new_key(), **(headers or {})}
    )


async def history(api: Api, user_id: str, type_: str) -> list[dict[str, Any]]:
    response = await api.client.get(f"/wallets/{user_id}/transactions", params={"type": type_})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture(scope="session")
async def scoped_wallet(api: Api) -> str:
    response = await api.client.post("/wallets", json={"user_id": SCOPED_USER})
    assert response.status_code in (201, 409)
    return SCOPED_USER


async def test_transfer_is_201_completed_and_moves_the_money(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(50)

    response = await transfer(api, sender, receiver, 300, reference="rent may")

    assert response.status_code == 201, response.text
    assert "Idempotent-Replayed" not in response.headers
    body = response.json()
    assert set(body) == {
        "id",
        "status",
        "from_user_id",
        "to_user_id",
        "amount",
        "currency",
        "reference",
        "created_at",
    }
    assert (body["status"], body["from_user_id"], body["to_user_id"]) == (
        "COMPLETED",
        sender,
        receiver,
    )
    assert (body["amount"], body["currency"], body["reference"]) == (300, "USD", "rent may")
    assert await api.balances(sender) == {"USD": {"available": 700, "pending": 0}}
    assert await api.balances(receiver) == {"USD": {"available": 350, "pending": 0}}


async def test_both_histories_show_the_transfer_with_its_id(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(0)
    body = (await transfer(api, sender, receiver, 250, reference="gift")).json()

    [out] = await history(api, sender, "TRANSFER_OUT")
    [in_] = await history(api, receiver, "TRANSFER_IN")
    for item, type_ in ((out, "TRANSFER_OUT"), (in_, "TRANSFER_IN")):
        assert (item["type"], item["status"], item["amount"], item["currency"]) == (
            type_,
            "COMPLETED",
            250,
            "USD",
        )
        assert (item["transfer_id"], item["reference"]) == (body["id"], "gift")
    assert await history(api, sender, "TRANSFER_IN") == []
    assert await history(api, receiver, "TRANSFER_OUT") == []
    deposits = await history(api, sender, "DEPOSIT")
    assert [d["transfer_id"] for d in deposits] == [None]


async def test_get_transfer_returns_what_post_answered(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(0)
    posted = await transfer(api, sender, receiver, 10)
    got = await api.client.get(f"/transfers/{posted.json()['id']}")
    assert got.status_code == 200
    assert got.json() == posted.json()


async def test_unknown_transfer_is_404(api: Api) -> None:
    response = await api.client.get("/transfers/01890a5d-ac96-774b-bcce-b302099a8057")
    assert_error(response, 404, "NOT_FOUND")


async def test_receiver_gets_a_balance_in_a_new_currency(api: Api) -> None:
    sender, receiver = await api.funded_wallet(500, "EUR"), await api.funded_wallet(10)
    assert (await transfer(api, sender, receiver, 500, "EUR")).status_code == 201
    assert await api.balances(sender) == {"EUR": {"available": 0, "pending": 0}}
    assert await api.balances(receiver) == {
        "EUR": {"available": 500, "pending": 0},
        "USD": {"available": 10, "pending": 0},
    }


async def test_replay_is_byte_identical_and_moves_once(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(0)
    key = new_key()
    first = await transfer(api, sender, receiver, 100, key=key)
    again = await transfer(api, sender, receiver, 100, key=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await api.balances(sender) == {"USD": {"available": 900, "pending": 0}}
    assert len(await history(api, receiver, "TRANSFER_IN")) == 1


async def test_same_key_other_body_is_422(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(0)
    key = new_key()
    assert (await transfer(api, sender, receiver, 100, key=key)).status_code == 201
    assert_error(await transfer(api, sender, receiver, 101, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert await api.balances(sender) == {"USD": {"available": 900, "pending": 0}}


async def test_a_key_still_in_flight_is_409(api: Api, engine: AsyncEngine) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.funded_wallet(0)
    key = new_key()
    request = {
        "from_user_id": sender,
        "to_user_id": receiver,
        "amount": 100,
        "currency": "USD",
        "reference": None,
    }
    async with engine.begin() as conn:  # the first request's claim, not answered yet
        await conn.execute(
            text(
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, state, created_at)"
                " VALUES (:u, :k, :f, 'IN_PROGRESS', now())"
            ),
            {"u": sender, "k": key, "f": fingerprint("transfer", request)},
        )
    assert_error(
        await transfer(api, sender, receiver, 100, key=key), 409, "IDEMPOTENCY_IN_PROGRESS"
    )
    assert await api.balances(sender) == {"USD": {"available": 1_000, "pending": 0}}


async def test_not_enough_money_is_409_and_stays_the_answer_for_that_key(api: Api) -> None:
    sender, receiver = await api.funded_wallet(100), await api.funded_wallet(0)
    key = new_key()
    refused = await transfer(api, sender, receiver, 101, key=key)
    assert_error(refused, 409, "INSUFFICIENT_FUNDS")
    assert (await api.deposit(sender, 1_000)).status_code == 201
    again = await transfer(api, sender, receiver, 101, key=key)
    assert (again.status_code, again.content) == (409, refused.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await api.balances(receiver) == {}


async def test_same_wallet_is_400_and_consumes_no_key(api: Api) -> None:
    sender = await api.funded_wallet(100)
    key = new_key()
    error = assert_error(await transfer(api, sender, sender, 10, key=key), 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "to_user_id"
    receiver = await api.funded_wallet(0)
    assert (await transfer(api, sender, receiver, 10, key=key)).status_code == 201


@pytest.mark.parametrize("side", ["sender", "receiver"])
async def test_unknown_wallet_is_404_and_consumes_no_key(api: Api, side: str) -> None:
    known, missing = await api.funded_wallet(100), new_user_id()
    key = new_key()
    sender, receiver = (missing, known) if side == "sender" else (known, missing)
    error = assert_error(await transfer(api, sender, receiver, 10, key=key), 404, "NOT_FOUND")
    assert error["details"] == {"user_id": missing}
    await api.create_wallet(missing)
    if side == "sender":
        assert (await api.deposit(missing, 100)).status_code == 201
    assert (await transfer(api, sender, receiver, 10, key=key)).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XXX"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"to_user_id": "not valid!"}, "to_user_id"),
        ({"reference": ""}, "reference"),
    ],
)
async def test_invalid_input_is_400(api: Api, change: dict[str, Any], field: str) -> None:
    sender, receiver = await api.funded_wallet(100), await api.funded_wallet(0)
    body = {"from_user_id": sender, "to_user_id": receiver, "amount": 10, "currency": "USD"}
    response = await api.client.post(
        "/transfers", json={**body, **change}, headers={"Idempotency-Key": new_key()}
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in str(error["details"]), error
    assert await api.balances(sender) == {"USD": {"available": 100, "pending": 0}}


async def test_missing_key_is_400(api: Api) -> None:
    sender, receiver = await api.funded_wallet(100), await api.funded_wallet(0)
    response = await api.client.post(
        "/transfers",
        json={"from_user_id": sender, "to_user_id": receiver, "amount": 1, "currency": "USD"},
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"]["field"] == "Idempotency-Key"


async def test_a_credit_past_the_largest_amount_is_400_and_nothing_moves(api: Api) -> None:
    sender, receiver = await api.funded_wallet(10), await api.funded_wallet(MAX_AMOUNT - 5)
    assert_error(await transfer(api, sender, receiver, 6), 400, "VALIDATION_ERROR")
    assert await api.balances(sender) == {"USD": {"available": 10, "pending": 0}}
    assert await api.balances(receiver) == {"USD": {"available": MAX_AMOUNT - 5, "pending": 0}}


async def test_scoped_key_sends_only_from_its_own_wallet(api: Api, scoped_wallet: str) -> None:
    scoped = {"X-API-Key": SCOPED_KEY}
    other = await api.funded_wallet(1_000)
    missing = new_user_id()
    expected = await transfer(api, missing, scoped_wallet, 10, headers=scoped)
    assert_error(expected, 404, "NOT_FOUND")

    stolen = await transfer(api, other, scoped_wallet, 10, headers=scoped)

    assert stolen.status_code == 404
    assert stolen.content == expected.content.replace(missing.encode(), other.encode())
    assert await api.balances(other) == {"USD": {"available": 1_000, "pending": 0}}
    # Money sent to the scoped wallet can go back out with the scoped key.
    assert (await transfer(api, other, scoped_wallet, 10)).status_code == 201
    back = await transfer(api, scoped_wallet, other, 10, headers=scoped)
    assert back.status_code == 201, back.text
    assert await api.balances(other) == {"USD": {"available": 1_000, "pending": 0}}


async def test_either_side_reads_the_transfer_and_nobody_else(api: Api, scoped_wallet: str) -> None:
    scoped = {"X-API-Key": SCOPED_KEY}
    other = await api.funded_wallet(100)
    to_scoped = (await transfer(api, other, scoped_wallet, 10)).json()
    assert (await api.client.get(f"/transfers/{to_scoped['id']}", headers=scoped)).json() == (
        to_scoped
    )
    between_others = (await transfer(api, other, await api.funded_wallet(0), 10)).json()
    hidden = await api.client.get(f"/transfers/{between_others['id']}", headers=scoped)
    unknown = await api.client.get(
        "/transfers/01890a5d-ac96-774b-bcce-b302099a8057", headers=scoped
    )
    assert_error(hidden, 404, "NOT_FOUND")
    assert hidden.content == unknown.content.replace(
        b"01890a5d-ac96-774b-bcce-b302099a8057", between_others["id"].encode()
    )
