"""A process that stops while a dispute is at the provider (after the dispute and its key
committed, before the reply was stored) leaves neither stuck: the recovery worker answers
the filing as one the provider never confirmed, through the real app and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from dispute_kit import approved_payment, open_dispute
from wallet_api_testkit import (
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


async def test_a_dispute_whose_request_died_while_filing_is_canceled_and_its_key_answered(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())  # one provider for all three apps
    async with start_api(database_url=own_database_url, mock_app=mock) as api:
        user_id, payment_id = await approved_payment(api)
    key = new_key()
    async with start_api(
        database_url=own_database_url, mock_app=mock, extra_providers=(CrashingGatewayProvider(),)
    ) as crashing:
        assert_error(await open_dispute(crashing, user_id, payment_id, key=key), 500, "INTERNAL")

    clock = ShiftedClock()
    async with start_api(
        database_url=own_database_url,
        mock_app=mock,
        extra_providers=(ShiftedClockProvider(clock),),
        recovery_enabled=True,
        recovery_interval_s=0.05,
    ) as api:
        # Young: it might still be at the provider, so the worker leaves it alone.
        in_flight = await open_dispute(api, user_id, payment_id, key=key)
        assert_error(in_flight, 409, "IDEMPOTENCY_IN_PROGRESS")
        clock.advance(LATER)

        async def answered() -> bool:
            reply = await open_dispute(api, user_id, payment_id, key=key)
            return reply.status_code != 409

        await eventually(answered, timeout_s=10)
        reply = await open_dispute(api, user_id, payment_id, key=key)
        assert_error(reply, 504, "GATEWAY_TIMEOUT")
        assert reply.headers.get("Idempotent-Replayed") == "true"
        dispute_id = reply.json()["error"]["details"]["dispute_id"]
        dispute = await api.client.get(f"/disputes/{dispute_id}")
        assert dispute.json()["status"] == "CANCELED"
        # The payment is free to be disputed again.
        again = await open_dispute(api, user_id, payment_id, key=new_key())
        assert again.status_code == 201, again.text
