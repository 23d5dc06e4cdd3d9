"""MakeTransfer and GetTransfer: money moves between two wallets once per Idempotency-Key."""

from __future__ import annotations

from uuid import UUID

import pytest
from wallet_domain.errors import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    TransferNotFound,
    ValidationError,
    WalletNotFound,
)
from wallet_domain.model.idempotency import (
    IdempotencyRecord,
    IdempotencyState,
    fingerprint,
)
from wallet_domain.model.transaction import TransactionType
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.ports.transfer_book import MoveOutcome
from wallet_domain.use_cases.deposit import DepositRequest
from wallet_domain.use_cases.get_transfer import GetTransferRequest
from wallet_domain.use_cases.make_transfer import MakeTransferRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World


def _request(**overrides: object) -> MakeTransferRequest:
    fields: dict[str, object] = {
        "from_user_id": "alice",
        "to_user_id": "bob",
        "idempotency_key": "t-1",
        "amount": 300,
        "currency": "USD",
        "reference": "rent",
    }
    fields.update(overrides)
    return MakeTransferRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def pair(world: World) -> World:
    world.seed_wallet("alice", USD=1_000)
    world.seed_wallet("bob", USD=50)
    return world


def _nothing_written(world: World) -> None:
    assert world.db.committed.transfers == {}
    assert world.db.entries(type=TransactionType.TRANSFER_OUT) == []
    assert world.db.entries(type=TransactionType.TRANSFER_IN) == []
    assert world.db.events() == []


async def test_moves_the_money_and_records_everything_together(pair: World) -> None:
    world = pair
    scope = world.scope()

    reply = await world.make_transfer(scope).execute(_request())

    assert (reply.response.status_code, reply.replayed) == (201, False)
    [transfer] = world.db.committed.transfers.values()
    shown = {
        "status": "COMPLETED",
        "from_user_id": "alice",
        "to_user_id": "bob",
        "amount": 300,
        "currency": "USD",
        "reference": "rent",
    }
    assert body(reply.response) == {"id": str(transfer.id), **shown}
    assert (world.db.balance("alice", "USD"), world.db.balance("bob", "USD")) == (700, 350)
    [debit] = world.db.entries(type=TransactionType.TRANSFER_OUT)
    [credit] = world.db.entries(type=TransactionType.TRANSFER_IN)
    assert (debit.user_id, debit.signed_amount, debit.transfer_id) == ("alice", -300, transfer.id)
    assert (credit.user_id, credit.signed_amount, credit.transfer_id) == ("bob", 300, transfer.id)
    assert debit.reference == credit.reference == "rent"
    [event] = world.db.events()
    assert event.event_type.value == "transfer.completed"
    assert (event.aggregate_id, event.user_id) == (transfer.id, "alice")
    assert event.payload == {
        "transfer_id": str(transfer.id),
        **shown,
        "debit_transaction_id": str(debit.id),
        "credit_transaction_id": str(credit.id),
    }
    record = world.db.record("alice", "t-1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response == reply.response
    assert (scope.tx.commits, scope.tx.rollbacks) == (1, 0)
    assert_money_invariants(world.db)


async def test_creates_the_receivers_balance_in_a_currency_it_never_held(pair: World) -> None:
    pair.seed_wallet("carol", EUR=80)
    reply = await pair.make_transfer().execute(
        _request(from_user_id="carol", to_user_id="alice", currency="EUR", amount=80)
    )
    assert reply.response.status_code == 201
    assert (pair.db.balance("carol", "EUR"), pair.db.balance("alice", "EUR")) == (0, 80)
    assert_money_invariants(pair.db)


async def test_the_whole_balance_can_move(pair: World) -> None:
    reply = await pair.make_transfer().execute(_request(amount=1_000))
    assert reply.response.status_code == 201
    assert pair.db.balance("alice", "USD") == 0


async def test_not_enough_money_is_a_final_answer_stored_under_the_key(pair: World) -> None:
    world = pair
    reply = await world.make_transfer().execute(_request(amount=1_001))

    assert reply.response.status_code == 409
    assert body(reply.response)["error"]["code"] == "INSUFFICIENT_FUNDS"
    _nothing_written(world)
    assert (world.db.balance("alice", "USD"), world.db.balance("bob", "USD")) == (1_000, 50)
    record = world.db.record("alice", "t-1")
    assert record is not None
    assert record.response == reply.response
    # The same request again replays the refusal, even once the money is there.
    await world.deposit().execute(_dep("alice", 5_000))
    again = await world.make_transfer().execute(_request(amount=1_001))
    assert (again.response, again.replayed) == (reply.response, True)


async def test_a_currency_the_sender_never_held_is_not_enough_money(pair: World) -> None:
    reply = await pair.make_transfer().execute(_request(currency="EUR"))
    assert reply.response.status_code == 409
    _nothing_written(pair)


async def test_replay_returns_the_first_reply_and_moves_nothing_more(pair: World) -> None:
    first = await pair.make_transfer().execute(_request())
    again = await pair.make_transfer().execute(_request())

    assert (again.response, again.replayed) == (first.response, True)
    assert len(pair.db.committed.transfers) == 1
    assert (pair.db.balance("alice", "USD"), pair.db.balance("bob", "USD")) == (700, 350)
    assert len(pair.db.events()) == 1


@pytest.mark.parametrize(
    "change",
    [{"amount": 301}, {"to_user_id": "carol"}, {"currency": "EUR"}, {"reference": "other"}],
)
async def test_the_key_with_another_request_is_reused(
    pair: World, change: dict[str, object]
) -> None:
    pair.seed_wallet("carol")
    await pair.make_transfer().execute(_request())
    with pytest.raises(IdempotencyKeyReused):
        await pair.make_transfer().execute(_request(**change))
    assert len(pair.db.committed.transfers) == 1


async def test_the_key_is_the_senders_and_shared_with_its_deposits(pair: World) -> None:
    await pair.deposit().execute(_dep("alice", 10, key="t-1"))
    with pytest.raises(IdempotencyKeyReused):
        await pair.make_transfer().execute(_request())
    # Another sender's key of the same name is its own.
    pair.seed_wallet("carol", USD=10)
    reply = await pair.make_transfer().execute(
        _request(from_user_id="bob", to_user_id="carol", amount=5)
    )
    assert reply.response.status_code == 201


async def test_a_key_still_in_flight_is_in_progress(pair: World) -> None:
    request = _request()
    pair.db.committed.idempotency[("alice", "t-1")] = IdempotencyRecord(
        user_id="alice",
        key="t-1",
        fingerprint=fingerprint(
            "transfer",
            {
                "from_user_id": "alice",
                "to_user_id": "bob",
                "amount": 300,
                "currency": "USD",
                "reference": "rent",
            },
        ),
        state=IdempotencyState.IN_PROGRESS,
        created_at=pair.clock.now(),
    )
    with pytest.raises(IdempotencyInProgress):
        await pair.make_transfer().execute(request)
    _nothing_written(pair)


async def test_same_wallet_on_both_sides_is_invalid(pair: World) -> None:
    scope = pair.scope()
    with pytest.raises(ValidationError) as caught:
        await pair.make_transfer(scope).execute(_request(to_user_id="alice"))
    assert caught.value.details["field"] == "to_user_id"
    assert scope.transfers.moves == []
    assert pair.db.record("alice", "t-1") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"from_user_id": "bad id"}, "from_user_id"),
        ({"to_user_id": ""}, "to_user_id"),
        ({"reference": ""}, "reference"),
        ({"reference": "x" * 129}, "reference"),
        ({"idempotency_key": None}, "Idempotency-Key"),
    ],
)
async def test_invalid_input_consumes_no_key(
    pair: World, change: dict[str, object], field: str
) -> None:
    scope = pair.scope()
    with pytest.raises(ValidationError) as caught:
        await pair.make_transfer(scope).execute(_request(**change))
    assert caught.value.details["field"] == field
    assert scope.transfers.moves == []
    assert pair.db.record("alice", "t-1") is None


@pytest.mark.parametrize(
    ("change", "missing"), [({"from_user_id": "zed"}, "zed"), ({"to_user_id": "zed"}, "zed")]
)
async def test_an_unknown_wallet_on_either_side_is_not_found_and_consumes_no_key(
    pair: World, change: dict[str, object], missing: str
) -> None:
    with pytest.raises(WalletNotFound) as caught:
        await pair.make_transfer().execute(_request(**change))
    assert caught.value.details == {"user_id": missing}
    _nothing_written(pair)
    assert pair.db.committed.idempotency == {}


async def test_a_credit_past_the_largest_amount_is_refused_before_anything_changes(
    world: World,
) -> None:
    world.seed_wallet("alice", USD=10)
    world.seed_wallet("bob", USD=MAX_AMOUNT - 5)
    scope = world.scope()
    with pytest.raises(ValidationError):
        await world.make_transfer(scope).execute(_request(amount=6))
    assert (scope.tx.commits, scope.tx.rollbacks) == (0, 1)
    _nothing_written(world)
    assert world.db.record("alice", "t-1") is None
    assert world.db.balance("alice", "USD") == 10


async def test_a_failed_commit_leaves_nothing(pair: World) -> None:
    scope = pair.scope()
    scope.tx.fail_next_commit = RuntimeError("connection lost")
    with pytest.raises(RuntimeError):
        await pair.make_transfer(scope).execute(_request())
    assert scope.tx.rollbacks == 1
    _nothing_written(pair)
    assert pair.db.balance("alice", "USD") == 1_000


async def test_outcome_of_each_move_is_recorded(pair: World) -> None:
    scope = pair.scope()
    await pair.make_transfer(scope).execute(_request())
    assert [m.outcome for m in scope.transfers.moves] == [MoveOutcome.MOVED]


# --------------------------------------------------------------------------- reading


async def test_either_side_or_a_service_caller_reads_the_transfer(pair: World) -> None:
    await pair.make_transfer().execute(_request())
    [transfer] = pair.db.committed.transfers.values()
    for viewer in (None, "alice", "bob"):
        found = await pair.get_transfer().execute(
            GetTransferRequest(transfer_id=transfer.id, viewer=viewer)
        )
        assert found == transfer


async def test_anyone_else_reads_not_found_like_an_unknown_id(pair: World) -> None:
    await pair.make_transfer().execute(_request())
    [transfer] = pair.db.committed.transfers.values()
    for transfer_id, viewer in ((transfer.id, "carol"), (UUID(int=7), None)):
        with pytest.raises(TransferNotFound) as caught:
            await pair.get_transfer().execute(
                GetTransferRequest(transfer_id=transfer_id, viewer=viewer)
            )
        assert caught.value.details == {"transfer_id": str(transfer_id)}


def _dep(user_id: str, amount: int, *, key: str = "dep") -> DepositRequest:
    return DepositRequest(
        user_id=user_id, idempotency_key=key, amount=amount, currency="USD", reference=None
    )
