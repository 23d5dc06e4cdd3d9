"""Property: whatever the gateway answers and however keys are reused, money is conserved."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wallet_domain.errors import IdempotencyKeyReused
from wallet_domain.model.idempotency import IdempotencyState, Reply, StoredResponse
from wallet_domain.model.transaction import TransactionStatus, TransactionType
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_domain.use_cases.deposit import DepositRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World, bill_payment

STATUS_OF_REPLY = {
    201: {"APPROVED"},
    402: {"DECLINED"},
    502: {"FAILED"},
    504: {"FAILED", "PENDING"},
}


@dataclass(frozen=True)
class Step:
    deposit: bool
    key: int
    amount: int
    currency: str
    charge: ChargeStatus
    lookup: LookupStatus


steps = st.builds(
    Step,
    deposit=st.booleans(),
    key=st.integers(0, 5),
    amount=st.integers(1, 6_000),
    currency=st.sampled_from(["USD", "EUR"]),
    charge=st.sampled_from(list(ChargeStatus)),
    lookup=st.sampled_from(list(LookupStatus)),
)


def _request(step: Step) -> tuple[bool, int, str]:
    """What the key's fingerprint covers (the provider and reference never change here)."""
    return step.deposit, step.amount, step.currency


async def _send(world: World, step: Step, key: str) -> Reply:
    if step.deposit:
        return await world.deposit().execute(
            DepositRequest(
                user_id="alice", idempotency_key=key, amount=step.amount, currency=step.currency
            )
        )
    return await world.pay().execute(bill_payment(key, step.amount, step.currency))


async def _run(script: list[Step]) -> None:
    world = World()
    world.seed_wallet("alice", USD=5_000)
    replies: dict[str, StoredResponse] = {}
    first_request: dict[str, tuple[bool, int, str]] = {}
    for step in script:
        world.gateway.charges.clear()
        world.gateway.lookups.clear()
        world.gateway.script(charges=[step.charge], lookups=[step.lookup])
        key = f"k{step.key}"
        # One request at a time, so a key is never in progress when reused: the only
        # refusal a step may meet is its key reused for another request. Every other
        # outcome (declines, timeouts, insufficient funds) is a stored reply.
        if key in first_request and first_request[key] != _request(step):
            with pytest.raises(IdempotencyKeyReused):
                await _send(world, step, key)
            assert_money_invariants(world.db)
            continue
        reply = await _send(world, step, key)
        first_request.setdefault(key, _request(step))
        assert reply.replayed == (key in replies)
        if reply.replayed:
            assert reply.response == replies[key]
        replies.setdefault(key, reply.response)
        assert_money_invariants(world.db)

    assert_money_invariants(world.db)
    records = world.db.committed.idempotency
    assert all(r.state is IdempotencyState.COMPLETED for r in records.values())
    assert set(replies) == {k for _, k in records}
    payments = world.db.entries(type=TransactionType.PAYMENT)
    deposits = world.db.entries(type=TransactionType.DEPOSIT)
    assert len(payments) + len(deposits) - 1 <= len(records), "one movement per key at most"
    by_id = {p.id: p for p in payments}
    for record in records.values():
        assert record.response is not None
        if record.payment_id in by_id:
            payment = by_id[record.payment_id]
            assert payment.status.value in STATUS_OF_REPLY[record.response.status_code]
            reported = body(record.response)
            assert payment.status.value in (
                reported.get("status"),
                reported.get("error", {}).get("details", {}).get("status"),
            )
    assert sum(p.status is TransactionStatus.PENDING for p in payments) == sum(
        r.response is not None
        and r.response.status_code == 504
        and body(r.response)["error"]["details"]["resolution"] == "pending"
        for r in records.values()
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, max_size=12))
def test_money_is_conserved_under_any_sequence_of_requests(script: list[Step]) -> None:
    asyncio.run(_run(script))
