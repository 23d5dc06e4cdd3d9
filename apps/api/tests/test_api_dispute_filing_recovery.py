"""A process that stops while a dispute is at the provider (after the dispute and its key
committed, before the reply was stored) leaves neither stuck, and loses no chargeback: the
recovery worker files the dispute again (idempotent on its id) and stores the reply the
request would have, through the real app, PostgreSQL and the mock provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dispute_kit import Provider, approved_payment, open_dispute, via_use_case
from wallet_api_testkit import (
    Api,
    CrashingGatewayProvider,
    ShiftedClock,
    ShiftedClockProvider,
    StartApi,
    assert_error,
    new_key,
)
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

# Past the recovery window (twice the request deadline at least) with room to spare.
LATER = timedelta(minutes=10)


async def _file_as_the_dying_process_did(provider: Provider, dispute: dict[str, object]) -> None:
    async with provider.client() as client:
        filed = await client.post(
            "/disputes",
            json={
                "dispute_id": dispute["id"],
                "payment_id": dispute["payment_id"],
                "amount": dispute["amount"],
                "currency": dispute["currency"],
                "reason": dispute["reason"],
                "evidence": [],
            },
            headers={"Idempotency-Key": str(dispute["id"])},
        )
    assert filed.status_code in (200, 201), filed.text


async def _answered(api: Api, user_id: str, payment_id: str, key: str) -> None:
    async def done() -> bool:
        return (await open_dispute(api, user_id, payment_id, key=key)).status_code != 409

    await eventually(done, timeout_s=10)


@pytest.mark.parametrize("provider_got_it", [False, True], ids=["before", "after"])
async def test_a_dispute_whose_request_died_while_filing_is_filed_again_and_decided(
    start_api: StartApi, own_database_url: str, provider_got_it: bool
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())  # one provider for all three apps
    provider = Provider(mock)
    async with start_api(database_url=own_database_url, mock_app=mock) as api:
        user_id, payment_id = await approved_payment(api, amount=300, funded=1_000)
    key = new_key()
    async with start_api(
        database_url=own_database_url, mock_app=mock, extra_providers=(CrashingGatewayProvider(),)
    ) as crashing:
        assert_error(await open_dispute(crashing, user_id, payment_id, key=key), 500, "INTERNAL")
        [dispute] = (await crashing.client.get(f"/wallets/{user_id}/disputes")).json()["items"]
    dispute_id = dispute["id"]
    if provider_got_it:  # the process died after the provider received the filing
        await _file_as_the_dying_process_did(provider, dispute)

    clock = ShiftedClock()
    async with start_api(
        database_url=own_database_url,
        mock_app=mock,
        extra_providers=(ShiftedClockProvider(clock),),
        recovery_enabled=True,
        recovery_interval_s=0.05,
    ) as api:
        # Young: the request might still be at the provider, so the worker leaves it.
        assert_error(
            await open_dispute(api, user_id, payment_id, key=key), 409, "IDEMPOTENCY_IN_PROGRESS"
        )
        clock.advance(LATER)
        await _answered(api, user_id, payment_id, key)

        reply = await open_dispute(api, user_id, payment_id, key=key)
        assert reply.status_code == 201, reply.text
        assert reply.headers.get("Idempotent-Replayed") == "true"
        assert (reply.json()["id"], reply.json()["status"]) == (dispute_id, "OPEN")
        assert provider.filed(dispute_id) is not None
        before = (await api.balances(user_id))["USD"]["available"]
        # The provider decides it: the won chargeback reaches the wallet.
        for status in ("under_review", "submitted", "won"):
            await via_use_case(api, await provider.move(dispute_id, status))
        shown = (await api.client.get(f"/disputes/{dispute_id}")).json()
        after = (await api.balances(user_id))["USD"]["available"]

    assert (shown["status"], after - before) == ("WON", 300)
