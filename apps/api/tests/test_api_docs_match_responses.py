"""docs/api.md and the README's examples against what the running API answers: every
field, header and `details` key a client reads in the docs must be the one it gets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from wallet_api_testkit import PROVIDER_ID, Api, new_key

ROOT: Final = Path(__file__).resolve().parents[3]
API_MD: Final = (ROOT / "docs" / "api.md").read_text()
README: Final = (ROOT / "README.md").read_text()


def section(text: str, heading: str) -> str:
    """The text from `heading` (a whole line) to the next heading of any level."""
    start = text.index(f"\n{heading}\n") + 1
    nxt = re.search(r"^#{1,6} ", text[start + len(heading) :], re.M)
    return text[start : start + len(heading) + (nxt.start() if nxt else len(text))]


def table_fields(block: str) -> set[str]:
    """First-column backticked names of a markdown table (`a`, `b` cells split)."""
    fields: set[str] = set()
    for line in block.splitlines():
        if line.startswith("| `"):
            fields |= set(re.findall(r"`(\w+)`", line.split("|")[1]))
    return fields


def example_keys(block: str, status: str) -> set[str]:
    """Top-level-ish keys of the first `<status> {...}` JSON example in `block`."""
    match = re.search(rf"^{status} (\{{.*?\}})\s*$", block, re.M | re.S)
    assert match, f"no {status} example"
    return set(re.findall(r'"(\w+)":', match.group(1)))


async def deposit(api: Api, user_id: str) -> dict[str, Any]:
    response = await api.client.post(
        f"/wallets/{user_id}/deposits",
        json={"amount": 10000, "currency": "USD", "reference": "top-up"},
        headers={"Idempotency-Key": new_key()},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_transaction_resource_table_lists_every_field_the_api_sends(api: Api) -> None:
    documented = table_fields(section(API_MD, "### The transaction resource"))
    sent = set(await deposit(api, await api.create_wallet()))
    assert sent - documented == set(), f"fields sent but not documented: {sent - documented}"


async def test_the_deposit_example_has_the_fields_the_api_sends(api: Api) -> None:
    documented = example_keys(
        section(API_MD, "### Deposit — `POST /wallets/{user_id}/deposits`"), "201"
    )
    sent = set(await deposit(api, await api.create_wallet()))
    assert documented == sent, f"missing in the example: {sent - documented}"


async def test_the_etag_table_names_every_read_that_carries_an_etag(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    pay = {"provider_id": PROVIDER_ID, "external_reference": "b", "amount": 10, "currency": "USD"}
    paid = await api.client.post(
        f"/wallets/{user_id}/payments", json=pay, headers={"Idempotency-Key": new_key()}
    )
    opened = await api.client.post(
        f"/wallets/{user_id}/payments/{paid.json()['id']}/disputes",
        json={"reason": "never delivered"},
        headers={"Idempotency-Key": new_key()},
    )
    dispute_id = opened.json()["id"]
    read = await api.client.get(f"/disputes/{dispute_id}")
    tag = read.headers["ETag"]
    again = await api.client.get(f"/disputes/{dispute_id}", headers={"If-None-Match": tag})
    assert again.status_code == 304  # the API does tag and honour it ...
    etag_table = API_MD[API_MD.index("| route | `ETag` |") :].split("\n\n", 1)[0]
    assert "GET /disputes/{dispute_id}" in etag_table, "... but docs/api.md does not say so"


async def test_not_found_details_keys_are_the_documented_ones(api: Api) -> None:
    user_id = await api.create_wallet()
    unknown = "01a248ba-96b3-7669-970a-ff34a0c0d9c1"
    answers = [
        await api.client.get(f"/wallets/{user_id}/payments/{unknown}"),
        await api.client.get(f"/wallets/{user_id}/holds/{unknown}"),
        await api.client.post(f"/wallets/{user_id}/deposits/{unknown}/complete"),
        await api.client.get(f"/disputes/{unknown}"),
    ]
    sent = {key for answer in answers for key in answer.json()["error"]["details"]}
    row = next(line for line in API_MD.splitlines() if line.startswith("| 404 | `NOT_FOUND`"))
    documented = set(re.findall(r"`(\w+)`", row.split("|")[-2]))
    assert sent - documented == set(), f"details keys not documented: {sent - documented}"


async def test_history_status_filter_values_are_the_documented_ones(api: Api) -> None:
    user_id = await api.create_wallet()
    accepted = await api.client.get(
        f"/wallets/{user_id}/transactions", params={"status": "REVERTED"}
    )
    assert accepted.status_code == 200
    history = section(API_MD, "### History — `GET /wallets/{user_id}/transactions`")
    status_list = history[history.index("`status` (") : history.index("`currency`")]
    assert "`REVERTED`" in status_list, "the API filters by REVERTED; the docs do not list it"


async def test_the_readme_quick_start_balance_is_what_the_api_answers(api: Api) -> None:
    """README, API: deposit 10000, pay 2500, transfer 500, then GET /balance."""
    alice, bob = await api.create_wallet(), await api.create_wallet()
    c = api.client
    await c.post(f"/wallets/{alice}/deposits", json={"amount": 10000, "currency": "USD"},
                 headers={"Idempotency-Key": new_key()})  # fmt: skip
    paid = await c.post(
        f"/wallets/{alice}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": "bill-42",
            "amount": 2500,
            "currency": "USD",
        },
        headers={"Idempotency-Key": new_key()},
    )
    assert paid.status_code == 201, paid.text
    moved = await c.post(
        "/transfers",
        json={"from_user_id": alice, "to_user_id": bob, "amount": 500, "currency": "USD"},
        headers={"Idempotency-Key": new_key()},
    )
    assert moved.status_code == 201, moved.text
    balance = (await c.get(f"/wallets/{alice}/balance")).json()["balances"][0]
    shown = re.search(
        r'# \{"user_id": "alice", "balances": \[\{"currency": "USD", "available": (\d+)', README
    )
    assert shown, "the README's balance example moved"
    assert balance["available"] == int(shown.group(1)), (
        f"README shows available {shown.group(1)}, the API answers {balance['available']}"
    )
