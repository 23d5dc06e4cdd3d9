"""Deposit: credit a wallet once per Idempotency-Key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wallet_domain.errors import IdempotencyKeyReused, ValidationError, WalletNotFound
from wallet_domain.model.idempotency import IdempotencyState
from wallet_domain.model.transaction import TransactionStatus, TransactionType
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.use_cases.deposit import DepositRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World, refused_field


def _request(**overrides: object) -> DepositRequest:
    fields: dict[str, object] = {
        "user_id": "alice",
        "idempotency_key": "dep-1",
        "amount": 10_000,
        "currency": "USD",
        "reference": "salary",
    }
    fields.update(overrides)
    return DepositRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice")
    return world


async def test_credits_the_wallet_and_records_everything_together(alice: World) -> None:
    world = alice
    scope = world.scope()

    reply = await world.deposit(scope).execute(_request())

    assert not reply.replayed
    assert reply.response.status_code == 201
    [entry] = world.db.entries(type=TransactionType.DEPOSIT)
    assert body(reply.response) == {
        "id": str(entry.id),
        "type": "DEPOSIT",
        "status": "COMPLETED",
        "amount": 10_000,
        "currency": "USD",
    }
    assert (entry.status, entry.reference, entry.created_at) == (
        TransactionStatus.COMPLETED,
        "salary",
        world.clock.now(),
    )
    assert world.db.balance("alice", "USD") == 10_000
    [event] = world.db.events()
    assert event.event_type.value == "deposit.completed"
    assert (event.aggregate_id, event.user_id) == (entry.id, "alice")
    assert event.payload["reference"] == "salary"
    record = world.db.record("alice", "dep-1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response == reply.response
    assert (scope.tx.commits, scope.tx.rollbacks) == (1, 0)
    assert_money_invariants(world.db)


async def test_deposit_without_reference(alice: World) -> None:
    reply = await alice.deposit().execute(_request(reference=None))
    assert reply.response.status_code == 201
    [entry] = alice.db.entries(type=TransactionType.DEPOSIT)
    assert entry.reference is None
    assert "reference" not in alice.db.events()[0].payload


async def test_deposits_add_up_per_currency(alice: World) -> None:
    await alice.deposit().execute(_request(idempotency_key="a", amount=100))
    await alice.deposit().execute(_request(idempotency_key="b", amount=250))
    await alice.deposit().execute(_request(idempotency_key="c", amount=7, currency="JPY"))
    assert alice.db.balance("alice", "USD") == 350
    assert alice.db.balance("alice", "JPY") == 7
    assert_money_invariants(alice.db)


async def test_replay_returns_the_same_bytes_and_credits_once(alice: World) -> None:
    first = await alice.deposit().execute(_request())
    alice.clock.advance(timedelta(hours=1))
    scope = alice.scope()

    replay = await alice.deposit(scope).execute(_request())

    assert replay.replayed
    assert replay.response == first.response
    assert replay.response.body == first.response.body
    assert alice.db.balance("alice", "USD") == 10_000
    assert len(alice.db.entries(type=TransactionType.DEPOSIT)) == 1
    assert alice.db.event_types() == ["deposit.completed"]
    assert (scope.tx.commits, scope.tx.rollbacks) == (0, 1)


@pytest.mark.parametrize(
    "change", [{"amount": 10_001}, {"currency": "EUR"}, {"reference": "other"}, {"reference": None}]
)
async def test_same_key_with_a_different_body_is_a_reuse(
    alice: World, change: dict[str, object]
) -> None:
    await alice.deposit().execute(_request())

    with pytest.raises(IdempotencyKeyReused):
        await alice.deposit().execute(_request(**change))

    assert alice.db.balance("alice", "USD") == 10_000
    assert len(alice.db.events()) == 1


async def test_keys_are_scoped_per_user(alice: World) -> None:
    alice.seed_wallet("bob")
    await alice.deposit().execute(_request())
    reply = await alice.deposit().execute(_request(user_id="bob", amount=1))
    assert not reply.replayed
    assert alice.db.balance("bob", "USD") == 1


async def test_unknown_wallet_is_not_found_and_does_not_consume_the_key(world: World) -> None:
    scope = world.scope()

    with pytest.raises(WalletNotFound) as caught:
        await world.deposit(scope).execute(_request())

    assert caught.value.details == {"user_id": "alice"}
    assert world.db.record("alice", "dep-1") is None
    assert not scope.tx.has_pending_writes
    world.seed_wallet("alice")
    reply = await world.deposit().execute(_request())
    assert (reply.replayed, reply.response.status_code) == (False, 201)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "CHF"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": MAX_AMOUNT + 1}, "amount"),
        ({"reference": ""}, "reference"),
        ({"reference": "x" * 129}, "reference"),
        ({"reference": "line\nbreak"}, "reference"),
        ({"user_id": "not valid"}, "user_id"),
        ({"idempotency_key": None}, "Idempotency-Key"),
        ({"idempotency_key": ""}, "Idempotency-Key"),
    ],
)
async def test_invalid_input_is_refused_before_any_side_effect(
    alice: World, change: dict[str, object], field: str
) -> None:
    scope = alice.scope()

    assert await refused_field(scope, alice.deposit(scope).execute(_request(**change))) == field
    assert alice.db.committed.idempotency == {}
    assert alice.db.entries(type=TransactionType.DEPOSIT) == []


async def test_overflowing_balance_rolls_back_and_keeps_the_key_free(alice: World) -> None:
    await alice.deposit().execute(_request(idempotency_key="big", amount=MAX_AMOUNT))
    scope = alice.scope()

    with pytest.raises(ValidationError):
        await alice.deposit(scope).execute(_request(amount=1))

    assert scope.tx.rollbacks >= 1
    assert alice.db.record("alice", "dep-1") is None
    assert alice.db.balance("alice", "USD") == MAX_AMOUNT
    assert alice.db.event_types() == ["deposit.completed"]
    assert_money_invariants(alice.db)
