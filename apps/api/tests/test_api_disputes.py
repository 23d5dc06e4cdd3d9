"""Disputes over HTTP: the whole lifecycle with the mock provider, the client's moves,
the refusals, scoped keys, and what the database refuses on its own."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from dispute_kit import (
    DELIVERIES,
    DELIVERY_MODES,
    Delivery,
    Provider,
    approved_payment,
    assert_ledger_whole,
    open_dispute,
    opened,
    via_sync_route,
)
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.ops.dispute_partitions import partitions_once
from wallet_api_testkit import (
    SCOPED_KEY,
    SCOPED_USER,
    Api,
    StartApi,
    assert_error,
    fetch,
    new_key,
    outbox_event_types,
    send_twice,
    settle_as_recovery_would,
)
from wallet_domain.model.provider_event import ProviderEventOutcome
from webhook_kit import keyless_client, send_event

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway


@pytest.fixture
def provider(mock_gateway_app: FastAPI) -> Provider:
    return Provider(mock_gateway_app)


@pytest.fixture(params=DELIVERY_MODES)
def deliver(request: pytest.FixtureRequest) -> Delivery:
    return DELIVERIES[request.param]


async def _transitions(engine: AsyncEngine, dispute_id: str) -> list[tuple[str | None, str]]:
    rows = await fetch(
        engine,
        "SELECT from_status, to_status FROM dispute_events WHERE dispute_id = :d"
        " ORDER BY created_at, id",
        d=dispute_id,
    )
    return [(r.from_status, r.to_status) for r in rows]


async def test_won_dispute_credits_the_payment_once_even_if_the_webhook_repeats(
    api: Api, engine: AsyncEngine, provider: Provider, deliver: Delivery
) -> None:
    user_id, payment_id = await approved_payment(api, amount=300)
    response = await open_dispute(api, user_id, payment_id, evidence=["receipt #1"])
    assert response.status_code == 201, response.text
    dispute = response.json()
    assert (dispute["status"], dispute["amount"], dispute["evidence"]) == (
        "OPEN",
        300,
        ["receipt #1"],
    )
    dispute_id = dispute["id"]
    filed = provider.filed(dispute_id)
    assert filed is not None
    assert filed["payment_id"] == payment_id

    for status in ("under_review", "submitted"):
        assert await deliver(api, await provider.move(dispute_id, status)) is (
            ProviderEventOutcome.APPLIED
        )
    won = await provider.move(dispute_id, "won")
    assert await deliver(api, won) is ProviderEventOutcome.APPLIED
    assert await deliver(api, won) is ProviderEventOutcome.DUPLICATE
    assert await deliver(api, await provider.move(dispute_id, "won")) is (
        ProviderEventOutcome.ALREADY_SETTLED
    )

    fetched = await api.client.get(f"/disputes/{dispute_id}")
    assert fetched.json()["status"] == "WON"
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    chargebacks = await api.client.get(f"/wallets/{user_id}/transactions?type=CHARGEBACK")
    [credit] = chargebacks.json()["items"]
    assert (credit["amount"], credit["dispute_id"]) == (300, dispute_id)
    assert await outbox_event_types(engine, dispute_id) == [
        "dispute.opened",
        "dispute.updated",
        "dispute.updated",
        "dispute.won",
    ]
    assert await _transitions(engine, dispute_id) == [
        (None, "OPEN"),
        ("OPEN", "UNDER_REVIEW"),
        ("UNDER_REVIEW", "SUBMITTED"),
        ("SUBMITTED", "WON"),
    ]
    await assert_ledger_whole(engine, user_id)


@pytest.mark.parametrize("final", ["lost", "closed"])
async def test_lost_or_closed_moves_no_money(
    api: Api, engine: AsyncEngine, provider: Provider, deliver: Delivery, final: str
) -> None:
    user_id, payment_id = await approved_payment(api, amount=250)
    dispute_id = await opened(api, user_id, payment_id)
    for status in ("under_review", "submitted", final):
        assert await deliver(api, await provider.move(dispute_id, status)) is (
            ProviderEventOutcome.APPLIED
        )
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == final.upper()
    assert await api.balances(user_id) == {"USD": {"available": 750, "pending": 0}}
    expected = "dispute.lost" if final == "lost" else "dispute.updated"
    assert (await outbox_event_types(engine, dispute_id))[-1] == expected
    await assert_ledger_whole(engine, user_id)


async def test_updates_delivered_out_of_order_end_where_the_provider_is_credited_once(
    api: Api, engine: AsyncEngine, provider: Provider, deliver: Delivery
) -> None:
    # Each webhook is retried on its own, so `won` can land before `submitted`.
    user_id, payment_id = await approved_payment(api, amount=300)
    dispute_id = await opened(api, user_id, payment_id)
    under_review, submitted, won = [
        await provider.move(dispute_id, status) for status in ("under_review", "submitted", "won")
    ]
    assert await deliver(api, submitted) is ProviderEventOutcome.APPLIED
    assert await deliver(api, won) is ProviderEventOutcome.APPLIED
    assert await deliver(api, under_review) is ProviderEventOutcome.ALREADY_SETTLED
    assert await deliver(api, submitted) is ProviderEventOutcome.DUPLICATE

    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "WON"
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    assert await outbox_event_types(engine, dispute_id) == [
        "dispute.opened",
        "dispute.updated",
        "dispute.updated",
        "dispute.won",
    ]
    # Steps taken at once share their time: each row names where it came from.
    assert sorted(await _transitions(engine, dispute_id), key=str) == sorted(
        [
            (None, "OPEN"),
            ("OPEN", "UNDER_REVIEW"),
            ("UNDER_REVIEW", "SUBMITTED"),
            ("SUBMITTED", "WON"),
        ],
        key=str,
    )
    await assert_ledger_whole(engine, user_id)


async def test_an_update_off_the_graph_or_for_an_unknown_dispute_changes_nothing(
    api: Api, provider: Provider, deliver: Delivery
) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)
    canceled = await api.client.post(f"/disputes/{dispute_id}/cancel")
    assert canceled.status_code == 200, canceled.text
    assert await deliver(api, await provider.move(dispute_id, "won")) is (
        ProviderEventOutcome.REFUSED
    )
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "CANCELED"
    stray = (
        b'{"provider_event_id":"evt_' + uuid.uuid4().hex.encode() + b'","type":"dispute.updated",'
        b'"created_at":"2026-01-01T00:00:00Z","data":{"dispute_id":"'
        + str(uuid.uuid4()).encode()
        + b'","status":"won"}}'
    )
    assert await deliver(api, stray) is ProviderEventOutcome.UNKNOWN_TARGET
    assert await api.balances(user_id) == {"USD": {"available": 700, "pending": 0}}


async def test_evidence_is_appended_while_open_or_under_review_only(
    api: Api, provider: Provider, deliver: Delivery
) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)
    added = await api.client.post(f"/disputes/{dispute_id}/evidence", json={"evidence": ["a"]})
    assert added.status_code == 200, added.text
    await deliver(api, await provider.move(dispute_id, "under_review"))
    added = await api.client.post(f"/disputes/{dispute_id}/evidence", json={"evidence": ["b"]})
    assert added.json()["evidence"] == ["a", "b"]
    await deliver(api, await provider.move(dispute_id, "submitted"))
    late = await api.client.post(f"/disputes/{dispute_id}/evidence", json={"evidence": ["c"]})
    assert assert_error(late, 409, "INVALID_STATE")["details"]["status"] == "SUBMITTED"
    assert_error(await api.client.post(f"/disputes/{dispute_id}/cancel"), 409, "INVALID_STATE")
    empty = await api.client.post(f"/disputes/{dispute_id}/evidence", json={"evidence": []})
    assert_error(empty, 400, "VALIDATION_ERROR")


async def test_one_open_dispute_per_payment_and_a_canceled_one_frees_it(api: Api) -> None:
    user_id, payment_id = await approved_payment(api)
    first = await opened(api, user_id, payment_id)
    assert_error(await open_dispute(api, user_id, payment_id), 409, "INVALID_STATE")
    canceled = await api.client.post(f"/disputes/{first}/cancel")
    assert canceled.json()["status"] == "CANCELED"
    assert_error(await api.client.post(f"/disputes/{first}/cancel"), 409, "INVALID_STATE")
    assert (await open_dispute(api, user_id, payment_id)).status_code == 201


async def test_a_cancel_is_withdrawn_at_the_provider_first(api: Api, provider: Provider) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)

    canceled = await api.client.post(f"/disputes/{dispute_id}/cancel")

    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["status"] == "CANCELED"
    filed = provider.filed(dispute_id)
    assert filed is not None
    assert filed["status"] == "canceled"


async def test_a_cancel_after_the_provider_decided_is_refused_and_its_chargeback_credited(
    api: Api, engine: AsyncEngine, provider: Provider, deliver: Delivery
) -> None:
    """The provider decided before its updates reached the wallet: canceling here would
    refuse its `won`, and the chargeback would never be credited."""
    user_id, payment_id = await approved_payment(api, amount=300)
    dispute_id = await opened(api, user_id, payment_id)
    await deliver(api, await provider.move(dispute_id, "under_review"))
    submitted = await provider.move(dispute_id, "submitted")  # not delivered yet
    won = await provider.move(dispute_id, "won")

    refused = await api.client.post(f"/disputes/{dispute_id}/cancel")

    assert assert_error(refused, 409, "INVALID_STATE")["details"]["status"] == "UNDER_REVIEW"
    assert await deliver(api, submitted) is ProviderEventOutcome.APPLIED
    assert await deliver(api, won) is ProviderEventOutcome.APPLIED
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "WON"
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    await assert_ledger_whole(engine, user_id)


async def test_concurrent_opens_on_one_payment_open_one(api: Api) -> None:
    user_id, payment_id = await approved_payment(api)
    replies = await asyncio.gather(*(open_dispute(api, user_id, payment_id) for _ in range(4)))
    assert sorted(r.status_code for r in replies) == [201, 409, 409, 409]


async def test_open_is_idempotent_under_its_key(api: Api) -> None:
    user_id, payment_id = await approved_payment(api)
    key = new_key()
    await send_twice(lambda: open_dispute(api, user_id, payment_id, key=key), 201)
    reused = await open_dispute(api, user_id, payment_id, key=key, reason="other")
    assert_error(reused, 422, "IDEMPOTENCY_KEY_REUSED")
    assert_error(await open_dispute(api, user_id, payment_id, key=None), 409, "INVALID_STATE")


async def test_a_declined_or_pending_payment_cannot_be_disputed(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    declined = await api.pay(user_id, 100, "mock:declined:x")
    payment_id = declined.json()["error"]["details"]["payment_id"]
    error = assert_error(await open_dispute(api, user_id, payment_id), 409, "INVALID_STATE")
    assert error["details"]["status"] == "DECLINED"
    unknown = await api.pay(user_id, 100, "mock:unknown:x")
    payment_id = unknown.json()["error"]["details"]["payment_id"]
    error = assert_error(await open_dispute(api, user_id, payment_id), 409, "INVALID_STATE")
    assert error["details"]["status"] == "PENDING"
    await settle_as_recovery_would(api, user_id, payment_id)
    assert (await open_dispute(api, user_id, payment_id)).status_code == 201
    assert_error(await open_dispute(api, user_id, str(uuid.uuid4())), 404, "NOT_FOUND")


async def test_a_provider_refusal_cancels_the_dispute_and_answers_502(
    api: Api, mock_gateway_app: FastAPI
) -> None:
    user_id, payment_id = await approved_payment(api)
    async with Provider(mock_gateway_app).client() as provider:  # it holds no such charge
        assert (await provider.delete(f"/admin/charges/{payment_id}")).is_success
    key = new_key()
    refused = await open_dispute(api, user_id, payment_id, key=key)
    dispute_id = assert_error(refused, 502, "GATEWAY_ERROR")["details"]["dispute_id"]
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "CANCELED"
    replay = await open_dispute(api, user_id, payment_id, key=key)
    assert replay.content == refused.content


@pytest.mark.parametrize("reason", ["mock:timeout:x", "mock:error:x"], ids=["silent", "5xx"])
async def test_a_provider_that_does_not_answer_leaves_the_dispute_open_and_its_key_in_flight(
    api: Api, reason: str
) -> None:
    """A timeout or a 5xx through every retry: it may have the dispute and go on to
    decide it, so the recovery worker settles it with the provider and stores the final
    reply (test_api_dispute_filing_recovery.py)."""
    user_id, payment_id = await approved_payment(api)
    key = new_key()
    silent = await open_dispute(api, user_id, payment_id, reason=reason, key=key)
    dispute_id = assert_error(silent, 504, "GATEWAY_TIMEOUT")["details"]["dispute_id"]
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "OPEN"
    again = await open_dispute(api, user_id, payment_id, reason=reason, key=key)
    assert_error(again, 409, "IDEMPOTENCY_IN_PROGRESS")


async def test_the_partitions_job_makes_the_coming_months_once(
    api: Api, engine: AsyncEngine
) -> None:
    container = api.app.state.dishka_container
    await partitions_once(container, ahead=6)
    assert await partitions_once(container, ahead=6) == []
    now = datetime.now(UTC)
    months = [
        datetime(now.year + (now.month + n - 1) // 12, (now.month + n - 1) % 12 + 1, 1)
        for n in range(7)
    ]
    async with engine.connect() as conn:
        for month in months:
            name = f"dispute_events_p{month:%Y_%m}"
            found = await conn.scalar(text("SELECT to_regclass(:n)::text"), {"n": name})
            assert found == name


async def test_another_wallets_payment_or_dispute_is_404_for_a_scoped_key(api: Api) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)
    headers = {"X-API-Key": SCOPED_KEY}
    other = await api.client.post(
        f"/wallets/{user_id}/payments/{payment_id}/disputes",
        json={"reason": "x"},
        headers={"Idempotency-Key": new_key(), **headers},
    )
    assert_error(other, 404, "NOT_FOUND")
    await api.client.post("/wallets", json={"user_id": SCOPED_USER})  # 201, or 409 if made
    own_path = f"/wallets/{SCOPED_USER}/payments/{payment_id}/disputes"
    mine = await api.client.post(
        own_path, json={"reason": "x"}, headers={"Idempotency-Key": new_key(), **headers}
    )
    assert_error(mine, 404, "NOT_FOUND")
    for response in (
        await api.client.get(f"/disputes/{dispute_id}", headers=headers),
        await api.client.post(f"/disputes/{dispute_id}/cancel", headers=headers),
        await api.client.post(
            f"/disputes/{dispute_id}/evidence", json={"evidence": ["x"]}, headers=headers
        ),
    ):
        assert_error(response, 404, "NOT_FOUND")
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "OPEN"


async def test_disputes_are_listed_newest_first_in_keyset_pages_by_status(api: Api) -> None:
    user_id = await api.funded_wallet(1_000)
    ids = []
    for n in range(3):
        paid = await api.pay(user_id, 10, f"bill-{n}")
        ids.append(await opened(api, user_id, paid.json()["id"]))
    await api.client.post(f"/disputes/{ids[1]}/cancel")
    first = (await api.client.get(f"/wallets/{user_id}/disputes?limit=2")).json()
    assert [d["id"] for d in first["items"]] == [ids[2], ids[1]]
    rest = await api.client.get(f"/wallets/{user_id}/disputes?cursor={first['next_cursor']}")
    assert ([d["id"] for d in rest.json()["items"]], rest.json()["next_cursor"]) == (
        [ids[0]],
        None,
    )
    open_only = (await api.client.get(f"/wallets/{user_id}/disputes?status=OPEN")).json()
    assert [d["id"] for d in open_only["items"]] == [ids[2], ids[0]]
    bad = await api.client.get(f"/wallets/{user_id}/disputes?status=NOPE")
    assert_error(bad, 400, "VALIDATION_ERROR")


async def test_cancel_racing_a_provider_update_one_wins_and_money_is_conserved(
    api: Api, engine: AsyncEngine, provider: Provider, deliver: Delivery
) -> None:
    user_id = await api.funded_wallet(10_000)
    for n in range(6):
        paid = await api.pay(user_id, 100, f"race-{n}")
        dispute_id = await opened(api, user_id, paid.json()["id"])
        await deliver(api, await provider.move(dispute_id, "under_review"))
        submitted = await provider.move(dispute_id, "submitted")
        cancel, applied = await asyncio.gather(
            api.client.post(f"/disputes/{dispute_id}/cancel"), deliver(api, submitted)
        )
        final = (await api.client.get(f"/disputes/{dispute_id}")).json()["status"]
        if final == "CANCELED":
            assert (cancel.status_code, applied) == (200, ProviderEventOutcome.REFUSED)
        else:
            assert final == "SUBMITTED"
            assert_error(cancel, 409, "INVALID_STATE")
            assert applied is ProviderEventOutcome.APPLIED
            await deliver(api, await provider.move(dispute_id, "won"))
    await assert_ledger_whole(engine, user_id)


async def test_the_database_refuses_a_move_off_the_graph_history_changes_and_a_second_credit(
    api: Api, engine: AsyncEngine
) -> None:
    user_id, payment_id = await approved_payment(api)
    response = await open_dispute(api, user_id, payment_id, evidence=["original"])
    dispute_id = response.json()["id"]
    for statement in (
        "UPDATE disputes SET status = 'WON' WHERE id = :d",
        "UPDATE disputes SET status = 'SUBMITTED' WHERE id = :d",
        "UPDATE disputes SET amount = amount + 1 WHERE id = :d",
        "UPDATE disputes SET evidence = '[\"rewritten\"]' WHERE id = :d",
        "DELETE FROM disputes WHERE id = :d",
        "UPDATE dispute_events SET to_status = 'WON' WHERE dispute_id = :d",
        "DELETE FROM dispute_events WHERE dispute_id = :d",
        "INSERT INTO disputes (id, payment_id, user_id, amount, currency, reason, status,"
        " created_at, updated_at) SELECT gen_random_uuid(), payment_id, user_id, amount,"
        " currency, reason, 'WON', now(), now() FROM disputes WHERE id = :d",
    ):
        with pytest.raises(DBAPIError, match=r"IntegrityConstraintViolation|UniqueViolation"):
            async with engine.begin() as conn:
                await conn.execute(text(statement), {"d": dispute_id})
    chargeback = (
        "INSERT INTO transactions (id, user_id, type, status, amount, currency, dispute_id,"
        " created_at, updated_at) SELECT gen_random_uuid(), user_id, 'CHARGEBACK', 'COMPLETED',"
        " amount, currency, id, now(), now() FROM disputes WHERE id = :d"
    )
    async with engine.connect() as conn:  # never committed: the first credit goes too
        await conn.execute(text(chargeback), {"d": dispute_id})
        with pytest.raises(DBAPIError, match=r"UniqueViolation"):
            await conn.execute(text(chargeback), {"d": dispute_id})
        await conn.rollback()
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE disputes SET status = 'UNDER_REVIEW' WHERE id = :d"), {"d": dispute_id}
        )
    assert (await api.client.get(f"/disputes/{dispute_id}")).json()["status"] == "UNDER_REVIEW"


async def test_a_dispute_has_an_etag_that_changes_with_it_and_if_none_match_gets_304(
    api: Api,
) -> None:
    user_id, payment_id = await approved_payment(api)
    dispute_id = await opened(api, user_id, payment_id)
    first = await api.client.get(f"/disputes/{dispute_id}")
    etag = first.headers["ETag"]
    unchanged = await api.client.get(f"/disputes/{dispute_id}", headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["ETag"] == etag
    assert (await api.client.post(f"/disputes/{dispute_id}/cancel")).status_code == 200
    changed = await api.client.get(f"/disputes/{dispute_id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["status"] == "CANCELED"
    assert changed.headers["ETag"] != etag


async def _provider_refund(api: Api, payment_id: str, amount: int) -> str:
    async with keyless_client(api.app) as client:
        response = await send_event(
            client, "payment.refunded", {"payment_id": payment_id, "amount": amount}
        )
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def _win(api: Api, provider: Provider, dispute_id: str) -> None:
    for status in ("under_review", "submitted", "won"):
        body = await provider.move(dispute_id, status)
        assert await via_sync_route(api, body) is ProviderEventOutcome.APPLIED


async def test_a_payment_is_never_given_back_twice_by_disputes_and_refunds(
    api: Api, engine: AsyncEngine, provider: Provider
) -> None:
    user_id, payment_id = await approved_payment(api, amount=300)
    await _win(api, provider, await opened(api, user_id, payment_id))
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}

    again = await open_dispute(api, user_id, payment_id)
    assert_error(again, 409, "INVALID_STATE")
    assert await _provider_refund(api, payment_id, 1) == "refused"

    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    [row] = await fetch(
        engine,
        "SELECT refunded_amount, charged_back_amount FROM transactions WHERE id = :p",
        p=payment_id,
    )
    assert (row.refunded_amount, row.charged_back_amount) == (0, 300)
    await assert_ledger_whole(engine, user_id)


async def test_a_won_dispute_credits_only_what_the_providers_refunds_left(
    api: Api, engine: AsyncEngine, provider: Provider
) -> None:
    user_id, payment_id = await approved_payment(api, amount=300)
    assert await _provider_refund(api, payment_id, 100) == "applied"
    dispute_id = await opened(api, user_id, payment_id)
    await _win(api, provider, dispute_id)

    chargebacks = await api.client.get(f"/wallets/{user_id}/transactions?type=CHARGEBACK")
    [credit] = chargebacks.json()["items"]
    assert (credit["amount"], credit["dispute_id"]) == (200, dispute_id)
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
    # Given back in full: nothing left to dispute.
    assert_error(await open_dispute(api, user_id, payment_id), 409, "INVALID_STATE")
    await assert_ledger_whole(engine, user_id)


async def test_a_filing_never_sent_for_lack_of_time_answers_504_like_a_payment(
    start_api: StartApi,
) -> None:
    """The deadline spent before the filing left (a slow first transaction does the same
    with the default deadline): the provider was never asked, so the dispute is canceled
    and the answer is the deadline's (504), not a refusal's (502)."""
    mock = create_mock_gateway(MockGatewaySettings())
    provider = Provider(mock)
    async with start_api(mock_app=mock) as plain:
        user_id, payment_id = await approved_payment(plain, amount=300, funded=1_000)
    async with start_api(mock_app=mock, request_timeout_s=0.000_001) as slow:
        payment = await slow.pay(user_id, 100, "bill-slow")
        dispute = await open_dispute(slow, user_id, payment_id)

    assert payment.status_code == 504, payment.text
    dispute_id = assert_error(dispute, 504, "GATEWAY_TIMEOUT")["details"]["dispute_id"]
    assert provider.filed(dispute_id) is None
    async with start_api(mock_app=mock) as api:
        shown = await api.client.get(f"/disputes/{dispute_id}")
    assert shown.json()["status"] == "CANCELED"
