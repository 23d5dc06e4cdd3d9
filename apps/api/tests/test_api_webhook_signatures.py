"""POST /webhooks/gateway refuses what its signature does not vouch for, and stores nothing:
tampered body, wrong secret, stale or future timestamp, missing headers (401), a body that is
not a provider event or names another id than `webhook-id` (400), an oversized body (413).
Rotation: every configured secret verifies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from wallet_api_testkit import Api, StartApi, assert_error
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET
from wallet_testkit.db import fetch
from webhook_kit import (
    OTHER_SECRET,
    WEBHOOK_PATH,
    event_body,
    keyless_client,
    new_event_id,
    send_event,
    signed_headers,
    stored_events,
)

Headers = dict[str, str]


async def _pending_payment_id(api: Api) -> str:
    """A real PENDING payment, so an accepted event would visibly change something."""
    user_id = await api.funded_wallet(1_000)
    response = await api.pay(user_id, 100, f"mock:unknown:{uuid4().hex[:8]}")
    assert response.status_code == 504, response.text
    payment_id: str = response.json()["error"]["details"]["payment_id"]
    return payment_id


def _without(name: str) -> Callable[[bytes, str], Headers]:
    def headers(body: bytes, event_id: str) -> Headers:
        return {k: v for k, v in signed_headers(body, event_id).items() if k != name}

    return headers


def _at(delta: timedelta) -> Callable[[bytes, str], Headers]:
    def headers(body: bytes, event_id: str) -> Headers:
        return signed_headers(body, event_id, at=datetime.now(UTC) + delta)

    return headers


UNAUTHORIZED: dict[str, Callable[[bytes, str], Headers]] = {
    "tampered-body": lambda body, event_id: signed_headers(
        body.replace(b"approved", b"declined"), event_id
    ),
    "wrong-secret": lambda body, event_id: signed_headers(body, event_id, secret=OTHER_SECRET),
    "old-timestamp": _at(-timedelta(minutes=6)),
    "future-timestamp": _at(timedelta(minutes=6)),
    "missing-signature": _without("webhook-signature"),
    "missing-timestamp": _without("webhook-timestamp"),
    "missing-id": _without("webhook-id"),
    "garbage-signature": lambda body, event_id: {
        **signed_headers(body, event_id),
        "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl",
    },
}


@pytest.mark.parametrize("case", sorted(UNAUTHORIZED))
async def test_a_webhook_its_signature_does_not_vouch_for_is_401_and_stores_nothing(
    api: Api, database_url: str, case: str
) -> None:
    payment_id = await _pending_payment_id(api)
    event_id = new_event_id()
    body = event_body("payment.settled", {"payment_id": payment_id, "status": "approved"}, event_id)

    async with keyless_client(api.app) as provider:
        reply = await provider.post(
            WEBHOOK_PATH, content=body, headers=UNAUTHORIZED[case](body, event_id)
        )

    assert_error(reply, 401, "UNAUTHORIZED")
    assert await stored_events(database_url, event_id) == []
    assert await _status_of(database_url, payment_id) == "PENDING"


async def _status_of(database_url: str, payment_id: str) -> str:
    [row] = await fetch(
        database_url, "SELECT status FROM transactions WHERE id = $1", UUID(payment_id)
    )
    status: str = row["status"]
    return status


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"provider_event_id": "ID", "type": "payment.settled"}',
        b'{"provider_event_id": "ID", "type": "payment.settled", "created_at":'
        b' "2026-12-06T10:00:00+00:00",'
        b' "data": {"payment_id": "not-a-uuid", "status": "approved"}}',
        b'{"provider_event_id": "ID", "type": "payment.refunded", "created_at":'
        b' "2026-12-06T10:00:00+00:00", "data": {"payment_id": "PID", "amount": -5}}',
    ],
    ids=["not-json", "not-an-object", "missing-fields", "bad-payment-id", "negative-refund"],
)
async def test_a_well_signed_body_that_is_not_a_provider_event_is_400(
    api: Api, database_url: str, body: bytes
) -> None:
    event_id = new_event_id()
    body = body.replace(b"PID", str(uuid4()).encode()).replace(b'"ID"', f'"{event_id}"'.encode())

    async with keyless_client(api.app) as provider:
        reply = await provider.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id)
        )

    assert_error(reply, 400, "VALIDATION_ERROR")
    assert await stored_events(database_url, event_id) == []


async def test_a_body_naming_another_event_than_its_webhook_id_is_400(
    api: Api, database_url: str
) -> None:
    payment_id = await _pending_payment_id(api)
    body_id, header_id = new_event_id(), new_event_id()
    body = event_body("payment.settled", {"payment_id": payment_id, "status": "approved"}, body_id)

    async with keyless_client(api.app) as provider:
        reply = await provider.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, header_id)
        )

    error = assert_error(reply, 400, "VALIDATION_ERROR")
    assert "webhook-id" in error["details"]["reason"]
    assert await stored_events(database_url, body_id) == []
    assert await stored_events(database_url, header_id) == []
    assert await _status_of(database_url, payment_id) == "PENDING"


async def test_during_a_rotation_the_old_and_the_new_secret_both_verify(
    start_api: StartApi, database_url: str
) -> None:
    secrets = f"{OTHER_SECRET},{DEV_WEBHOOK_SECRET}"
    async with start_api(webhook_secrets=secrets) as api, keyless_client(api.app) as provider:
        old = await send_event(
            provider,
            "payment.settled",
            {"payment_id": str(uuid4()), "status": "approved"},
            secret=DEV_WEBHOOK_SECRET,
        )
        new = await send_event(
            provider,
            "payment.settled",
            {"payment_id": str(uuid4()), "status": "approved"},
            secret=OTHER_SECRET,
        )
        retired = await send_event(
            provider,
            "payment.settled",
            {"payment_id": str(uuid4()), "status": "approved"},
            secret="whsec_" + "QUJD" * 8,
        )

    assert (old.status_code, new.status_code) == (200, 200)
    assert_error(retired, 401, "UNAUTHORIZED")


async def test_with_no_secret_configured_every_webhook_is_refused(start_api: StartApi) -> None:
    async with start_api(webhook_secrets="") as api, keyless_client(api.app) as provider:
        reply = await send_event(
            provider, "payment.settled", {"payment_id": str(uuid4()), "status": "approved"}
        )

    assert_error(reply, 401, "UNAUTHORIZED")


async def test_an_oversized_body_is_413_before_anything_else(api: Api) -> None:
    event_id = new_event_id()
    body = event_body("charge.captured", {"padding": "x" * 20_000}, event_id)

    async with keyless_client(api.app) as provider:
        reply = await provider.post(
            WEBHOOK_PATH, content=body, headers=signed_headers(body, event_id)
        )

    assert_error(reply, 413, "PAYLOAD_TOO_LARGE")


async def test_webhooks_are_not_locked_out_by_failed_api_keys_from_the_same_address(
    start_api: StartApi,
) -> None:
    async with (
        start_api(auth_failure_burst=1, auth_failure_rate_per_s=0.001) as api,
        keyless_client(api.app) as provider,
    ):
        for _ in range(3):
            await provider.get("/providers", headers={"X-API-Key": "wrong"})
        locked = await provider.get("/providers", headers={"X-API-Key": "wrong"})
        bad_signature = await provider.post(
            WEBHOOK_PATH, content=b"{}", headers={"webhook-id": "x", "webhook-timestamp": "1"}
        )
        reply = await send_event(
            provider, "payment.settled", {"payment_id": str(uuid4()), "status": "approved"}
        )

    assert locked.status_code == 429
    assert bad_signature.status_code == 401
    assert reply.status_code == 200
    assert reply.json() == {"status": "unknown_target"}
