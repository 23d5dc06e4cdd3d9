"""The recovery worker through the real app and PostgreSQL: a payment it cannot settle is
set aside (counted, logged with its id) while every other stale payment settles, and it is
settled once whatever broke it is fixed and its backoff has passed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Final
from uuid import UUID, uuid4

import yaml
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs
from wallet_api.ops.payment_recovery import recover_once
from wallet_api_testkit import Api, CrashingGatewayProvider, StartApi, assert_error, new_key
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_testkit.polling import eventually

RESOLVE_NOW: Final = ResolvePendingRequest(
    older_than=timedelta(0), batch=1000, lookup_timeout_s=2.0
)
FAILURES: Final = "wallet_recovery_settle_failures_total"
ROOT: Final = Path(__file__).resolve().parents[3]


async def _strand(start_api: StartApi, user_id: str, amounts: list[int]) -> list[str]:
    """Payments left PENDING by a crash, oldest first."""
    async with start_api(extra_providers=(CrashingGatewayProvider(),)) as crashing:
        for amount in amounts:
            reply = await crashing.pay(user_id, amount, "bill", key=new_key())
            assert_error(reply, 500, "INTERNAL")
        return await _payments(crashing, user_id)


async def _payments(api: Api, user_id: str) -> list[str]:
    page = (await api.client.get(f"/wallets/{user_id}/transactions?type=PAYMENT")).json()
    return [item["id"] for item in reversed(page["items"])]


async def _status(api: Api, user_id: str, payment_id: str) -> str:
    reply = await api.client.get(f"/wallets/{user_id}/payments/{payment_id}")
    status: str = reply.json()["status"]
    return status


@asynccontextmanager
async def _unsettleable(engine: AsyncEngine, payment_id: str) -> AsyncIterator[None]:
    """A trigger that fails any change of this one payment's row, as a broken row would."""
    name = f"fail_{uuid4().hex[:12]}"
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'broken row'; END; $$"
            )
        )
        await conn.execute(
            text(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON transactions FOR EACH ROW"
                f" WHEN (OLD.id = '{UUID(payment_id)}') EXECUTE FUNCTION {name}()"
            )
        )
    try:
        yield
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TRIGGER {name} ON transactions"))
            await conn.execute(text(f"DROP FUNCTION {name}()"))


def _failures() -> float:
    return REGISTRY.get_sample_value(FAILURES) or 0.0


async def test_a_payment_that_cannot_settle_never_holds_up_the_others(
    api: Api, start_api: StartApi, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1_000)
    broken, *others = await _strand(start_api, user_id, [100, 200, 300])
    assert await api.balances(user_id) == {"USD": {"available": 400, "pending": 600}}

    async with start_api(recovery_backoff_base_s=0.05, recovery_backoff_max_s=0.05) as worker:
        container = worker.app.state.dishka_container
        async with _unsettleable(engine, broken):
            before = _failures()
            with capture_logs() as logs:
                report = await recover_once(container, RESOLVE_NOW)

            assert [str(f.payment_id) for f in report.failed] == [broken]
            for payment_id in others:  # never charged: FAILED and refunded
                assert await _status(api, user_id, payment_id) == "FAILED"
            assert await _status(api, user_id, broken) == "PENDING"
            assert _failures() == before + 1
            [logged] = [e for e in logs if e["event"] == "pending_payment_settle_failed"]
            assert (logged["payment_id"], logged["error_type"]) == (broken, "RaiseError")
            assert "broken row" not in str(logged), "driver messages stay out of the logs"
            assert await api.balances(user_id) == {"USD": {"available": 900, "pending": 100}}

        async def settled() -> bool:
            await recover_once(container, RESOLVE_NOW)
            return await _status(api, user_id, broken) == "FAILED"

        await eventually(settled, timeout_s=10)
    assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}


def test_the_settlement_alert_watches_the_counter_the_worker_exports() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())
    [alert] = [
        rule
        for group in rules["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "PaymentSettlementFailing"
    ]
    assert FAILURES in alert["expr"]
    exported = {sample.name for metric in REGISTRY.collect() for sample in metric.samples}
    assert FAILURES in exported
