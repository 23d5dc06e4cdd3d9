"""A payment replayed in the process that answered its key (the key noted there: one
lookup answers it) and in another one (nothing noted: the opening's claim finds the
reply): the same answer either way, nothing written twice, and a key purged since is
free again in both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.routes.payments import UnconditionalPay
from wallet_api_testkit import (
    PROVIDER_ID,
    Api,
    StartApi,
    assert_error,
    assert_replayed,
    fetch,
    new_key,
    wallet_etag,
)
from wallet_domain.ports.answered_keys import AnsweredKeys


async def _openings(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of every payment opening statement `api`'s process runs from now on (the
    statement a replay runs when its key is not noted)."""
    book = (await api.app.state.dishka_container.get(UnconditionalPay)).book
    real_open = book.open
    keys: list[str] = []

    async def counted(payment: Any, claim: Any, *rest: Any) -> Any:
        keys.append(claim.key)
        return await real_open(payment, claim, *rest)

    monkeypatch.setattr(book, "open", counted)
    return keys


async def _noted(api: Api, user_id: str, key: str) -> bool:
    answered = await api.app.state.dishka_container.get(AnsweredKeys)
    noted: bool = answered.noted(user_id, key)
    return noted


async def _paid(api: Api) -> tuple[str, str, httpx.Response]:
    """A 250 USD payment from a new wallet of 1,000 under a new key, answered 201 and
    noted by the process that answered it: (user_id, key, its answer)."""
    user_id = await api.funded_wallet(1000)
    key = new_key()
    first = await api.pay(user_id, 250, key=key)
    assert first.status_code == 201, first.text
    assert await _noted(api, user_id, key)
    return user_id, key, first


async def _purged(engine: AsyncEngine, user_id: str, key: str) -> None:
    """What the purge does to the key once its retention is over."""
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM idempotency_keys WHERE user_id = :u AND key = :k"),
            {"u": user_id, "k": key},
        )


async def _payments(engine: AsyncEngine, user_id: str) -> list[str]:
    sql = "SELECT status FROM transactions WHERE user_id = :u AND type = 'PAYMENT' ORDER BY id"
    return [row.status for row in await fetch(engine, sql, u=user_id)]


async def test_a_replay_answers_alike_in_the_process_that_answered_and_in_another(
    api: Api, start_api: StartApi, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, key, first = await _paid(api)
    opened_here = await _openings(api, monkeypatch)

    assert_replayed(first, await api.pay(user_id, 250, key=key))
    assert_error(await api.pay(user_id, 251, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert opened_here == [], "answered by the key lookup alone"
    async with start_api() as other:
        opened_there = await _openings(other, monkeypatch)
        assert not await _noted(other, user_id, key)
        assert_replayed(first, await other.pay(user_id, 250, key=key))
        assert opened_there == [key]
        assert await _noted(other, user_id, key), "noted once its opening found the reply"
        assert_replayed(first, await other.pay(user_id, 250, key=key))
        assert_error(await other.pay(user_id, 251, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
        assert opened_there == [key]

    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}
    assert await _payments(engine, user_id) == ["APPROVED"]


async def test_a_refusal_is_noted_and_replayed_from_one_lookup(
    api: Api, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id = await api.funded_wallet(100)
    key = new_key()
    first = await api.pay(user_id, 101, key=key)
    assert_error(first, 409, "INSUFFICIENT_FUNDS")
    assert await _noted(api, user_id, key)
    opened = await _openings(api, monkeypatch)

    assert_replayed(first, await api.pay(user_id, 101, key=key))
    assert opened == []

    assert await _payments(engine, user_id) == []


async def test_a_key_purged_after_its_reply_was_noted_pays_again(
    api: Api, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, key, first = await _paid(api)
    opened = await _openings(api, monkeypatch)
    await _purged(engine, user_id, key)

    again = await api.pay(user_id, 250, key=key)

    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert await api.balances(user_id) == {"USD": {"available": 500, "pending": 0}}
    assert await _payments(engine, user_id) == ["APPROVED", "APPROVED"]
    assert_replayed(again, await api.pay(user_id, 250, key=key))
    assert opened == [key], "the lookup found nothing, the opening paid; then noted again"


async def test_a_key_noted_here_and_taken_again_elsewhere_after_its_purge_answers_the_new_one(
    api: Api, start_api: StartApi, engine: AsyncEngine
) -> None:
    user_id, key, _ = await _paid(api)
    await _purged(engine, user_id, key)
    async with start_api() as other:
        second = await other.pay(user_id, 100, key=key)
        assert second.status_code == 201, second.text

    # Still noted here: the lookup reads the key's new holder, not a memory of the old one.
    assert await _noted(api, user_id, key)
    assert_error(await api.pay(user_id, 250, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_replayed(second, await api.pay(user_id, 100, key=key))
    assert await api.balances(user_id) == {"USD": {"available": 650, "pending": 0}}


async def test_a_payment_with_if_match_shares_the_hint_and_a_stale_tag_still_replays(
    api: Api,
) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    body = {
        "provider_id": PROVIDER_ID,
        "external_reference": "bill",
        "amount": 100,
        "currency": "USD",
    }
    etag = await wallet_etag(api, user_id)
    path = f"/wallets/{user_id}/payments"
    first = await api.client.post(
        path, json=body, headers={"Idempotency-Key": key, "If-Match": etag}
    )
    assert first.status_code == 201, first.text
    assert await _noted(api, user_id, key), "noted in the process's one hint"

    # The tag is stale now (the payment moved the wallet): a key answered is replayed.
    again = await api.client.post(
        path, json=body, headers={"Idempotency-Key": key, "If-Match": etag}
    )
    assert_replayed(first, again)
    assert_replayed(first, await api.client.post(path, json=body, headers={"Idempotency-Key": key}))
    other_key = new_key()
    stale = await api.client.post(
        path, json=body, headers={"Idempotency-Key": other_key, "If-Match": etag}
    )
    assert_error(stale, 412, "PRECONDITION_FAILED")
    assert not await _noted(api, user_id, other_key)


async def test_a_deposits_key_used_by_a_payment_is_a_reuse_every_time(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    deposit = await api.deposit(user_id, 5, key=key)
    assert deposit.status_code == 201, deposit.text

    assert_error(await api.pay(user_id, 250, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert await _noted(api, user_id, key)
    assert_error(await api.pay(user_id, 250, key=key), 422, "IDEMPOTENCY_KEY_REUSED")
    assert_replayed(deposit, await api.deposit(user_id, 5, key=key))
