"""Concurrency on the real PostgreSQL: no overdraft, no double debit."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import Api, StartApi, assert_error, new_key

_INVARIANT = text(
    """
    SELECT b.currency, b.balance,
           (SELECT coalesce(sum(t.amount), 0) FROM transactions t
             WHERE t.user_id = b.user_id AND t.currency = b.currency) AS ledger
      FROM wallet_balances b
     WHERE b.user_id = :u
    """
)


@pytest.fixture
async def roomy_api(start_api: StartApi) -> AsyncIterator[Api]:
    """Generous gateway timeouts: these tests are about the database, and 50 requests on
    one event loop must not turn a slow-but-happy mock into gateway timeouts."""
    async with start_api(
        gateway_connect_timeout_s=2.0, gateway_attempt_timeout_s=5.0, gateway_retry_budget_s=10.0
    ) as api:
        yield api


async def _assert_balance_matches_ledger(engine: AsyncEngine, user_id: str) -> int:
    async with engine.connect() as conn:
        rows = (await conn.execute(_INVARIANT, {"u": user_id})).all()
    assert len(rows) == 1
    assert rows[0].balance >= 0
    assert rows[0].balance == rows[0].ledger
    return int(rows[0].balance)


async def _payment_rows(engine: AsyncEngine, user_id: str) -> int:
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT count(*) FROM transactions WHERE user_id = :u AND type = 'PAYMENT'"),
            {"u": user_id},
        )
        return int(result.scalar_one())


async def test_50_concurrent_payments_never_overdraw(roomy_api: Api, engine: AsyncEngine) -> None:
    api = roomy_api
    funds, amount = 1000, 70
    user_id = await api.funded_wallet(funds)
    responses = await asyncio.gather(*(api.pay(user_id, amount, f"bill-{i}") for i in range(50)))

    approved = funds // amount
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: approved, 409: 50 - approved}
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "INSUFFICIENT_FUNDS")
    assert await _assert_balance_matches_ledger(engine, user_id) == funds - approved * amount
    assert await _payment_rows(engine, user_id) == approved
    assert await api.balances(user_id) == {
        "USD": {"available": funds - approved * amount, "pending": 0}
    }


async def test_20_concurrent_requests_with_one_key_debit_once(
    roomy_api: Api, engine: AsyncEngine
) -> None:
    api = roomy_api
    user_id = await api.funded_wallet(1000)
    key = new_key()
    responses = await asyncio.gather(*(api.pay(user_id, 100, "bill", key=key) for _ in range(20)))

    created = [r for r in responses if r.status_code == 201]
    originals = [r for r in created if "Idempotent-Replayed" not in r.headers]
    assert len(originals) == 1, [
        (r.status_code, r.headers.get("Idempotent-Replayed"), r.text) for r in responses
    ]
    assert all(r.content == originals[0].content for r in created)
    for response in responses:
        if response.status_code != 201:
            assert_error(response, 409, "IDEMPOTENCY_IN_PROGRESS")
    assert await _payment_rows(engine, user_id) == 1
    assert await _assert_balance_matches_ledger(engine, user_id) == 900
