"""A request's access line (info, one per request) tells an operator what it did: the
wallet its path names (`user_id`), and for a money-moving POST the id of what it made or
replayed with its amount and currency (a payment's provider and reference too), so a
payment is found in the logs at the production level without a line of its own."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs
from wallet_api_testkit import PROVIDER_ID, Api, new_key


def _access_line(logs: list[dict[str, Any]]) -> dict[str, Any]:
    [line] = [entry for entry in logs if entry["event"] == "http_request"]
    return line


async def test_a_payment_s_access_line_names_the_payment(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": "bill-access-1",
        "amount": 731,
        "currency": "USD",
    }
    key = new_key()
    with capture_logs() as logs:
        paid = await api.client.post(
            f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": key}
        )
    assert paid.status_code == 201, paid.text

    line = _access_line(logs)
    assert line["log_level"] == "info"
    assert {k: line.get(k) for k in ("user_id", "payment_id", "amount", "currency")} == {
        "user_id": user_id,
        "payment_id": paid.json()["id"],
        "amount": 731,
        "currency": "USD",
    }
    assert (line["provider_id"], line["external_reference"]) == (PROVIDER_ID, "bill-access-1")

    with capture_logs() as logs:  # a replay names the payment it replays
        again = await api.client.post(
            f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": key}
        )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _access_line(logs)["payment_id"] == paid.json()["id"]


async def test_a_declined_payment_s_access_line_names_it_from_its_error(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": "mock:declined:bill-access-2",
        "amount": 5,
        "currency": "USD",
    }
    with capture_logs() as logs:
        declined = await api.client.post(
            f"/wallets/{user_id}/payments", json=body, headers={"Idempotency-Key": new_key()}
        )
    assert declined.status_code == 402, declined.text

    details = declined.json()["error"]["details"]
    assert _access_line(logs)["payment_id"] == details["payment_id"]


async def test_deposits_holds_and_transfers_name_what_they_made(api: Api) -> None:
    user_id, other = await api.funded_wallet(1_000), await api.create_wallet()
    made: dict[str, tuple[str, str]] = {}
    with capture_logs() as logs:
        deposit = await api.deposit(user_id, 50)
        made["transaction_id"] = (deposit.json()["id"], f"/wallets/{user_id}/deposits")
        hold = await api.client.post(
            f"/wallets/{user_id}/holds",
            json={"amount": 20, "currency": "USD"},
            headers={"Idempotency-Key": new_key()},
        )
        made["hold_id"] = (hold.json()["id"], f"/wallets/{user_id}/holds")
        transfer = await api.client.post(
            "/transfers",
            json={"from_user_id": user_id, "to_user_id": other, "amount": 10, "currency": "USD"},
            headers={"Idempotency-Key": new_key()},
        )
        made["transfer_id"] = (transfer.json()["id"], "/transfers")

    lines = {entry["path"]: entry for entry in logs if entry["event"] == "http_request"}
    for field, (made_id, path) in made.items():
        assert lines[path][field] == made_id, (field, lines[path])
        assert lines[path]["user_id"] == user_id
        assert lines[path]["currency"] == "USD"
