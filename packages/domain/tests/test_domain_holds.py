"""Holds: create, complete (whole or part), revert, expire, list; each moves once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from wallet_domain.errors import (
    HoldNotFound,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidState,
    ValidationError,
    WalletNotFound,
)
from wallet_domain.model.hold import HoldStatus
from wallet_domain.model.idempotency import Reply
from wallet_domain.model.transaction import TransactionType
from wallet_domain.use_cases.create_hold import CreateHoldRequest
from wallet_domain.use_cases.expire_holds import ExpireHoldsRequest
from wallet_domain.use_cases.get_hold import GetHoldRequest
from wallet_domain.use_cases.list_holds import ListHoldsRequest
from wallet_domain.use_cases.settle_hold import SettleHoldRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice", USD=1_000)
    return world


async def _hold(world: World, amount: int = 300, key: str = "h-1", **fields: object) -> UUID:
    reply = await world.create_hold().execute(
        CreateHoldRequest(
            user_id="alice",
            idempotency_key=key,
            amount=amount,
            currency="USD",
            **fields,  # type: ignore[arg-type]
        )
    )
    assert reply.response.status_code == 201
    return UUID(body(reply.response)["id"])


async def _settle(world: World, hold_id: UUID, to: HoldStatus, amount: int | None = None) -> Reply:
    """Alice settles `hold_id` as `to` (capturing `amount` if given)."""
    request = SettleHoldRequest(to=to, user_id="alice", hold_id=hold_id, amount=amount)
    return await world.settle_hold().execute(request)


def _view(world: World) -> tuple[int | None, int]:
    """(available, pending_debit) as committed."""
    scope = world.scope()
    tables = scope.tx.tables
    available = tables.balances.get(("alice", "USD"))
    held = sum(
        h.money.amount
        for h in tables.holds.values()
        if h.user_id == "alice" and h.status is HoldStatus.PENDING
    )
    return available, held


async def test_a_hold_leaves_available_at_once_and_shows_as_pending_debit(alice: World) -> None:
    hold_id = await _hold(alice, 300, reference="order-7")

    assert _view(alice) == (700, 300)
    hold = alice.db.committed.holds[hold_id]
    assert hold.status is HoldStatus.PENDING
    assert hold.expires_at == alice.clock.now() + timedelta(days=7)
    [entry] = alice.db.entries(type=TransactionType.HOLD)
    assert (entry.hold_id, entry.signed_amount, entry.reference) == (hold_id, -300, "order-7")
    assert alice.db.event_types(hold_id) == ["hold.created"]
    assert_money_invariants(alice.db)


async def test_a_hold_the_balance_does_not_cover_is_refused_and_leaves_nothing(
    alice: World,
) -> None:
    with pytest.raises(InsufficientFunds):
        await _hold(alice, 1_001)

    assert _view(alice) == (1_000, 0)
    assert alice.db.committed.holds == {}
    assert alice.db.record("alice", "h-1") is None  # the key stays unused


async def test_the_same_key_replays_and_never_holds_twice(alice: World) -> None:
    first = await _hold(alice, 300)
    reply = await alice.create_hold().execute(
        CreateHoldRequest(user_id="alice", idempotency_key="h-1", amount=300, currency="USD")
    )
    assert reply.replayed
    assert UUID(body(reply.response)["id"]) == first
    assert _view(alice) == (700, 300)
    with pytest.raises(IdempotencyKeyReused):
        await _hold(alice, 200)


@pytest.mark.parametrize("expires_in_s", [0, 30 * 86_400 + 1, True])
async def test_expiry_outside_one_second_to_30_days_is_invalid(
    alice: World, expires_in_s: int
) -> None:
    with pytest.raises(ValidationError):
        await _hold(alice, expires_in_s=expires_in_s)


async def test_complete_captures_all_by_default(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    reply = await _settle(alice, hold_id, HoldStatus.COMPLETED)
    assert reply.response.status_code == 200
    assert body(reply.response)["captured"] == 300
    assert _view(alice) == (700, 0)
    assert alice.db.entries(type=TransactionType.HOLD_RELEASE) == []
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.completed"]
    assert_money_invariants(alice.db)


async def test_a_partial_capture_releases_the_rest(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    await _settle(alice, hold_id, HoldStatus.COMPLETED, amount=120)
    assert _view(alice) == (880, 0)
    [release] = alice.db.entries(type=TransactionType.HOLD_RELEASE)
    assert (release.hold_id, release.money.amount) == (hold_id, 180)
    [*_, event] = alice.db.events(hold_id)
    assert (event.payload["captured"], event.payload["released"]) == (120, 180)
    assert_money_invariants(alice.db)


@pytest.mark.parametrize("amount", [0, 301])
async def test_a_capture_outside_one_to_the_held_amount_is_invalid(
    alice: World, amount: int
) -> None:
    hold_id = await _hold(alice, 300)
    with pytest.raises(ValidationError):
        await _settle(alice, hold_id, HoldStatus.COMPLETED, amount=amount)
    assert alice.db.committed.holds[hold_id].status is HoldStatus.PENDING


async def test_revert_releases_everything(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    reply = await _settle(alice, hold_id, HoldStatus.REVERTED)
    assert body(reply.response)["status"] == "REVERTED"
    assert _view(alice) == (1_000, 0)
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.reverted"]
    assert_money_invariants(alice.db)


async def test_a_settled_hold_moves_no_more(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    await _settle(alice, hold_id, HoldStatus.COMPLETED, amount=100)

    with pytest.raises(InvalidState) as revert:
        await _settle(alice, hold_id, HoldStatus.REVERTED)
    with pytest.raises(InvalidState):
        await _settle(alice, hold_id, HoldStatus.COMPLETED, amount=200)

    assert revert.value.details == {"status": "COMPLETED"}
    assert _view(alice) == (900, 0)
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.completed"]


async def test_repeating_the_winning_action_answers_the_hold_again(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    request = SettleHoldRequest(
        to=HoldStatus.COMPLETED, user_id="alice", hold_id=hold_id, amount=100
    )
    first = await alice.settle_hold().execute(request)
    again = await alice.settle_hold().execute(request)
    assert again.response == first.response
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.completed"]
    assert_money_invariants(alice.db)


async def test_an_idempotency_key_replays_the_first_reply(alice: World) -> None:
    hold_id = await _hold(alice, 300)
    request = SettleHoldRequest(
        to=HoldStatus.REVERTED, user_id="alice", hold_id=hold_id, idempotency_key="rv-1"
    )
    first = await alice.settle_hold().execute(request)
    again = await alice.settle_hold().execute(request)
    assert again.replayed
    assert again.response == first.response


async def test_another_wallets_hold_is_not_found(alice: World) -> None:
    alice.seed_wallet("bob", USD=10)
    hold_id = await _hold(alice, 300)
    with pytest.raises(HoldNotFound):
        await alice.settle_hold().execute(
            SettleHoldRequest(to=HoldStatus.REVERTED, user_id="bob", hold_id=hold_id)
        )
    with pytest.raises(HoldNotFound):
        await alice.get_hold().execute(GetHoldRequest(user_id="bob", hold_id=hold_id))


async def test_the_expiry_worker_expires_due_holds_once(alice: World) -> None:
    due = await _hold(alice, 300, key="a", expires_in_s=60)
    later = await _hold(alice, 200, key="b", expires_in_s=3_600)
    alice.clock.advance(timedelta(seconds=61))

    assert await alice.expire_holds().execute(ExpireHoldsRequest(batch=10)) == 1
    assert await alice.expire_holds().execute(ExpireHoldsRequest(batch=10)) == 0

    assert alice.db.committed.holds[due].status is HoldStatus.EXPIRED
    assert alice.db.committed.holds[later].status is HoldStatus.PENDING
    assert _view(alice) == (800, 200)
    assert alice.db.event_types(due) == ["hold.created", "hold.expired"]
    with pytest.raises(InvalidState) as late:
        await _settle(alice, due, HoldStatus.COMPLETED)
    assert late.value.details == {"status": "EXPIRED"}
    assert_money_invariants(alice.db)


@pytest.mark.parametrize("to", [HoldStatus.COMPLETED, HoldStatus.REVERTED])
@pytest.mark.parametrize("key", [None, "settle-1"])
async def test_a_settle_at_the_deadline_expires_the_hold_instead(
    alice: World, to: HoldStatus, key: str | None
) -> None:
    hold_id = await _hold(alice, 300, expires_in_s=60)
    alice.clock.advance(timedelta(seconds=60))  # at expires_at: due already

    with pytest.raises(InvalidState) as refused:
        await alice.settle_hold().execute(
            SettleHoldRequest(to=to, user_id="alice", hold_id=hold_id, idempotency_key=key)
        )

    assert refused.value.details == {"status": "EXPIRED"}
    assert alice.db.committed.holds[hold_id].status is HoldStatus.EXPIRED
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.expired"]
    assert _view(alice) == (1_000, 0)
    assert key is None or alice.db.record("alice", key) is None  # refused: the key unused
    assert await alice.expire_holds().execute(ExpireHoldsRequest(batch=10)) == 0
    assert_money_invariants(alice.db)


async def test_a_keyed_completion_before_the_deadline_replays_after_it(alice: World) -> None:
    hold_id = await _hold(alice, 300, expires_in_s=60)
    request = SettleHoldRequest(
        to=HoldStatus.COMPLETED, user_id="alice", hold_id=hold_id, idempotency_key="c-1"
    )
    first = await alice.settle_hold().execute(request)
    alice.clock.advance(timedelta(hours=1))

    again = await alice.settle_hold().execute(request)

    assert again.response == first.response
    assert alice.db.committed.holds[hold_id].status is HoldStatus.COMPLETED
    assert alice.db.event_types(hold_id) == ["hold.created", "hold.completed"]


async def test_holds_list_newest_first_by_status_in_keyset_pages(alice: World) -> None:
    ids = [await _hold(alice, 100, key=f"k{i}") for i in range(3)]
    await _settle(alice, ids[1], HoldStatus.REVERTED)

    first = await alice.list_holds().execute(ListHoldsRequest(user_id="alice", limit=2))
    rest = await alice.list_holds().execute(
        ListHoldsRequest(user_id="alice", limit=2, cursor=first.next_cursor)
    )
    pending = await alice.list_holds().execute(ListHoldsRequest(user_id="alice", status="PENDING"))

    assert [h.id for h in first.items + rest.items] == ids[::-1]
    assert rest.next_cursor is None
    assert [h.id for h in pending.items] == [ids[2], ids[0]]
    with pytest.raises(ValidationError):
        await alice.list_holds().execute(ListHoldsRequest(user_id="alice", status="NOPE"))


async def test_a_hold_on_an_unknown_wallet_is_not_found_and_leaves_the_key(world: World) -> None:
    with pytest.raises(WalletNotFound):
        await world.create_hold().execute(
            CreateHoldRequest(user_id="nobody", idempotency_key="h-1", amount=1, currency="USD")
        )
    assert world.db.record("nobody", "h-1") is None
