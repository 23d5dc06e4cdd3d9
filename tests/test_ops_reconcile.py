"""`wallet-reconcile` against the real ledger (PostgreSQL) and the mock provider: every
kind of mismatch staged on purpose (the provider's admin endpoints and modes, the cut
attempt included) is reported once, agreeing payments are not, a second run reports the
same, and the exit code says whether anything is unresolved."""

from __future__ import annotations

import argparse
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
import pytest
from dishka import Provider, Scope, provide
from mock_gateway.webhook_sender import WebhookSender
from wallet_infra.config.settings import Settings
from wallet_infra.ids import UuidV7Generator
from wallet_ops import reconcile_cli
from wallet_ops.ioc import ProviderRecordsClient

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

from .money_safety_kit import PROVIDER_ID, eventually, in_process_api, private_database

pytestmark = pytest.mark.integration

MOCK_HANG_S: Final = 0.3
FAST_GATEWAY: Final[dict[str, Any]] = {
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 1,
    "recovery_enabled": False,
}


class MockRecords(Provider):
    """The provider's records read from the in-process mock instead of over the network."""

    scope = Scope.APP

    def __init__(self, mock: Any) -> None:
        super().__init__()
        self._mock = mock

    @provide
    async def client(self) -> AsyncIterator[ProviderRecordsClient]:
        transport = httpx.ASGITransport(app=self._mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield ProviderRecordsClient(client)


async def _delivered(webhooks: WebhookSender) -> bool:
    return webhooks.pending == 0 and webhooks.counts["delivered"] == webhooks.counts["emitted"]


async def _pay(client: httpx.AsyncClient, user_id: str, reference: str, amount: int) -> str:
    reply = await client.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": reference,
            "amount": amount,
            "currency": "USD",
        },
        headers={"Idempotency-Key": reference},
    )
    body = reply.json()
    payment_id = body["id"] if reply.status_code == 201 else body["error"]["details"]["payment_id"]
    return str(payment_id)


async def test_every_mismatch_kind_is_reported_and_a_rerun_reports_the_same(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with (
        private_database(database_url) as dsn,
        in_process_api(dsn, mock, **FAST_GATEWAY) as (app, api),
    ):
        assert (await api.post("/wallets", json={"user_id": "rec"})).status_code == 201
        deposit = {"amount": 100_000, "currency": "USD"}
        await api.post("/wallets/rec/deposits", json=deposit, headers={"Idempotency-Key": "d"})
        fine = await _pay(api, "rec", "ok-1", 100)
        declined = await _pay(api, "rec", "mock:declined:bill", 100)
        cut = await _pay(api, "rec", "mock:timeout:cut", 200)  # FAILED and refunded here
        gone = await _pay(api, "rec", "gone", 300)
        other_amount = await _pay(api, "rec", "amount", 400)
        refunded_there = await _pay(api, "rec", "refund", 500)
        pending = await _pay(api, "rec", "mock:unknown:held", 600)
        refunded_both = await _pay(api, "rec", "refunded-both", 800)
        stranger = str(UuidV7Generator().new_id())
        # From here on the provider's webhooks reach the wallet (the held payment's late
        # settlement was queued before, with nowhere to go: it stays PENDING here).
        webhooks = mock.gateway.send_webhooks_to(
            "http://api/webhooks/gateway", transport=httpx.ASGITransport(app=app)
        )

        admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m")
        async with admin:
            # The cut attempt: the provider charged after all, once we had refunded.
            usd = {"currency": "USD"}
            assert (
                await admin.put(f"/admin/charges/{cut}", json={"amount": 200, **usd})
            ).is_success
            assert (await admin.delete(f"/admin/charges/{gone}")).is_success
            await admin.put(f"/admin/charges/{other_amount}", json={"amount": 450, **usd})
            await admin.put(
                f"/admin/charges/{refunded_there}",
                json={"amount": 500, "refunded_amount": 50, **usd},
            )
            await admin.put(f"/admin/charges/{stranger}", json={"amount": 700, **usd})
            # Refunded there and, through its webhook, here: nothing to report.
            refund = await admin.post(
                f"/admin/charges/{refunded_both}/refunds", json={"amount": 80}
            )
            assert refund.status_code == 202
        await eventually(lambda: _delivered(webhooks), timeout_s=10)
        await webhooks.close()

        settings = Settings.model_validate(
            {"database_url": dsn, "recovery_min_age_s": 0.001, "request_timeout_s": 0.001}
        )
        args = argparse.Namespace(
            since=since, until=datetime.now(UTC) + timedelta(minutes=1), format="json"
        )
        runs = []
        for _ in range(2):
            found = await reconcile_cli.reconcile(
                args, settings, MockRecords(mock), progress=io.StringIO()
            )
            runs.append({str(m.payment_id): str(m.kind) for m in found})

    assert runs[0] == {
        cut: "charged_not_approved",
        gone: "approved_not_charged",
        other_amount: "amount_differs",
        refunded_there: "refund_missing",
        pending: "stale_pending",
        stranger: "unknown_here",
    }
    assert fine not in runs[0]
    assert refunded_both not in runs[0]
    assert declined not in runs[0]
    assert runs[1] == runs[0]  # it only reads: a rerun finds the same


def test_the_cli_refuses_a_window_that_ends_before_it_starts() -> None:
    code = reconcile_cli.main(["--since", "2026-12-06T10:00:00", "--until", "2026-12-06T09:00:00"])
    assert code == reconcile_cli.EXIT_USAGE
