"""ETags on reads: every resource a client polls answers If-None-Match with 304 (no body,
the ETag still sent) while it is unchanged, and with the full body once it changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from wallet_api_testkit import Api, created, new_key, new_user_id, wallet_etag


async def _revalidate(api: Api, url: str) -> tuple[httpx.Response, httpx.Response]:
    """The first read, and a second one sending its ETag back."""
    first = await api.client.get(url)
    assert first.status_code == 200, first.text
    again = await api.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    return first, again


def _assert_not_modified(first: httpx.Response, again: httpx.Response) -> None:
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "content-type" not in again.headers


async def _hold(api: Api, user_id: str) -> dict[str, Any]:
    return created(await api.hold(user_id, 100))


async def test_an_unchanged_wallet_is_not_sent_again(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    first, again = await _revalidate(api, f"/wallets/{user_id}")
    assert first.headers["ETag"] == '"v1"'  # one deposit: one balance row at version 1
    _assert_not_modified(first, again)


@pytest.mark.parametrize("query", ["", "?currency=USD", "?currency=EUR"])
async def test_the_balance_carries_the_wallets_etag(api: Api, query: str) -> None:
    user_id = await api.wallet_with({"USD": 1_000, "JPY": 5})
    first, again = await _revalidate(api, f"/wallets/{user_id}/balance{query}")
    assert first.headers["ETag"] == await wallet_etag(api, user_id) == '"v2"'
    _assert_not_modified(first, again)


async def test_a_changed_wallet_is_sent_with_its_new_etag(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    old = await wallet_etag(api, user_id)
    assert (await api.pay(user_id, 100)).status_code == 201

    for url in (f"/wallets/{user_id}", f"/wallets/{user_id}/balance"):
        response = await api.client.get(url, headers={"If-None-Match": old})
        assert response.status_code == 200
        assert response.headers["ETag"] not in {old, ""}
        assert response.json()["balances"][0]["available"] == 900


async def test_a_payment_is_not_sent_again_while_unchanged(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    payment = (await api.pay(user_id, 100)).json()
    first, again = await _revalidate(api, f"/wallets/{user_id}/payments/{payment['id']}")
    _assert_not_modified(first, again)


async def test_a_hold_gets_a_new_etag_when_its_status_changes(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    hold = await _hold(api, user_id)
    url = f"/wallets/{user_id}/holds/{hold['id']}"
    first, again = await _revalidate(api, url)
    _assert_not_modified(first, again)

    assert (await api.client.post(f"{url}/revert")).status_code == 200
    after = await api.client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["status"] == "REVERTED"
    assert after.headers["ETag"] != first.headers["ETag"]


async def test_a_transfer_is_not_sent_again_while_unchanged(api: Api) -> None:
    sender, receiver = await api.funded_wallet(1_000), await api.create_wallet()
    transfer = await api.client.post(
        "/transfers",
        json={"from_user_id": sender, "to_user_id": receiver, "amount": 5, "currency": "USD"},
        headers={"Idempotency-Key": new_key()},
    )
    assert transfer.status_code == 201, transfer.text
    first, again = await _revalidate(api, f"/transfers/{transfer.json()['id']}")
    _assert_not_modified(first, again)


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("*", 304),
        ('"x", {etag}', 304),
        ("W/{etag}", 304),  # weak comparison: W/"v1" names "v1"
        ('"v0"', 200),
        ('W/"v0", "nope"', 200),
        ("not a tag", 200),  # unreadable: ignored, the full body is always safe
    ],
)
async def test_if_none_match_forms(api: Api, if_none_match: str, status: int) -> None:
    user_id = await api.funded_wallet(1_000)
    etag = await wallet_etag(api, user_id)
    response = await api.client.get(
        f"/wallets/{user_id}", headers={"If-None-Match": if_none_match.format(etag=etag)}
    )
    assert response.status_code == status
    assert response.headers["ETag"] == etag


async def test_an_unknown_wallet_is_404_whatever_if_none_match_says(api: Api) -> None:
    response = await api.client.get(f"/wallets/{new_user_id()}", headers={"If-None-Match": "*"})
    assert response.status_code == 404


def test_the_openapi_document_shows_etags_and_304(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    reads = [
        paths["/wallets/{user_id}"]["get"],
        paths["/wallets/{user_id}/balance"]["get"],
        paths["/wallets/{user_id}/payments/{payment_id}"]["get"],
        paths["/wallets/{user_id}/holds/{hold_id}"]["get"],
        paths["/transfers/{transfer_id}"]["get"],
    ]
    for read in reads:
        assert "ETag" in read["responses"]["200"]["headers"]
        assert "ETag" in read["responses"]["304"]["headers"]
        assert "If-None-Match" in {p["name"] for p in read["parameters"]}
    writes = [
        paths["/wallets/{user_id}/payments"]["post"],
        paths["/wallets/{user_id}/deposits"]["post"],
        paths["/wallets/{user_id}/holds"]["post"],
        paths["/transfers"]["post"],
    ]
    for write in writes:
        assert "412" in write["responses"]
        assert "If-Match" in {p["name"] for p in write["parameters"]}
