"""SqlaTransferBook against PostgreSQL: a transfer is one statement.

Every outcome and exactly what it writes (read back on a connection of its own); the
receiver's balance created in a new currency; the limit on what a wallet may own; many
transfers between two wallets in both directions at once (no deadlock reaches the
caller); more transfers out of one balance than it affords; the schema refusing
malformed transfer rows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.errors import ValidationError
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.transfer import Transfer, transfer_completed, transfer_legs
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.transfer_book import Move, MoveOutcome
from wallet_infra.persistence.transfer_book import SqlaTransferBook
from wallet_testkit.db import fetch

from .payment_kit import TRACEPARENT, clock, funded_wallet, ids, open_wallet

REPLY: Final = StoredResponse(201, b'{"status":"COMPLETED"}')
REFUSAL: Final = StoredResponse(409, b'{"error":{"code":"INSUFFICIENT_FUNDS"}}')


def book(session: AsyncSession) -> SqlaTransferBook:
    # One attempt: a deadlock would surface instead of being retried away.
    return SqlaTransferBook(session=session, traceparent_provider=lambda: TRACEPARENT, attempts=1)


def new_transfer(
    sender: str, receiver: str, money: Money, reference: str | None = "rent"
) -> Transfer:
    return Transfer(
        id=ids.new_id(),
        from_user_id=sender,
        to_user_id=receiver,
        money=money,
        reference=reference,
        created_at=clock.now(),
    )


async def move(
    session: AsyncSession,
    transfer: Transfer,
    *,
    key: str | None = None,
    fingerprint: str = "f" * 64,
) -> Move:
    legs = transfer_legs(transfer, debit_id=ids.new_id(), credit_id=ids.new_id())
    claim = IdempotencyRecord(
        user_id=transfer.from_user_id,
        key=key or f"key-{transfer.id}",
        fingerprint=fingerprint,
        state=IdempotencyState.COMPLETED,
        created_at=transfer.created_at,
        response=REPLY,
    )
    event = transfer_completed(transfer, legs, event_id=ids.new_id())
    result = await book(session).move(transfer, legs, claim, event, REFUSAL)
    await session.commit()
    return result


async def move_alone(
    session_factory: async_sessionmaker[AsyncSession], transfer: Transfer, **kwargs: Any
) -> Move:
    async with session_factory() as session:
        return await move(session, transfer, **kwargs)


async def balance_of(database_url: str, user_id: str, currency: str = "USD") -> int | None:
    rows = await fetch(
        database_url,
        "SELECT balance FROM wallet_balances WHERE user_id = $1 AND currency = $2",
        user_id,
        currency,
    )
    return None if not rows else int(rows[0]["balance"])


async def written(database_url: str, users: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a transfer may write for `users`, as committed."""
    queries = {
        "balances": "SELECT user_id, currency, balance FROM wallet_balances"
        " WHERE user_id = ANY($1::text[]) ORDER BY 1, 2",
        "ledger": "SELECT user_id, type, amount, transfer_id FROM transactions"
        " WHERE user_id = ANY($1::text[]) AND type LIKE 'TRANSFER%' ORDER BY id",
        "transfers": "SELECT id FROM transfers WHERE from_user_id = ANY($1::text[])",
        "keys": "SELECT user_id, key, response_status FROM idempotency_keys"
        " WHERE user_id = ANY($1::text[]) ORDER BY 1, 2",
        "outbox": "SELECT event_id FROM outbox WHERE user_id = ANY($1::text[])"
        " AND event_type = 'transfer.completed'",
    }
    return {
        table: [tuple(row) for row in await fetch(database_url, query, list(users))]
        for table, query in queries.items()
    }


@pytest.fixture
def alice(user_id: str) -> str:
    return f"{user_id}-a"


@pytest.fixture
def bob(user_id: str) -> str:
    return f"{user_id}-b"


async def test_moves_the_money_with_both_legs_the_transfer_the_key_and_the_event(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(1_000, "USD"))
    await funded_wallet(session_factory, bob, Money(50, "USD"))
    transfer = new_transfer(alice, bob, Money(300, "USD"))

    assert await move_alone(session_factory, transfer, key="k1") == Move(MoveOutcome.MOVED)

    assert await balance_of(database_url, alice) == 700
    assert await balance_of(database_url, bob) == 350
    legs = await fetch(
        database_url,
        "SELECT user_id, type, status, amount, currency, reference, provider_id, refund_of"
        " FROM transactions WHERE transfer_id = $1 ORDER BY amount",
        transfer.id,
    )
    assert [tuple(r) for r in legs] == [
        (alice, "TRANSFER_OUT", "COMPLETED", -300, "USD", "rent", None, None),
        (bob, "TRANSFER_IN", "COMPLETED", 300, "USD", "rent", None, None),
    ]
    [row] = await fetch(database_url, "SELECT * FROM transfers WHERE id = $1", transfer.id)
    assert (row["from_user_id"], row["to_user_id"], row["amount"], row["currency"]) == (
        alice,
        bob,
        300,
        "USD",
    )
    assert (row["reference"], row["status"], row["created_at"]) == (
        "rent",
        "COMPLETED",
        transfer.created_at,
    )
    [key] = await fetch(
        database_url,
        "SELECT state, response_status, response_body FROM idempotency_keys"
        " WHERE user_id = $1 AND key = 'k1'",
        alice,
    )
    assert (key["state"], key["response_status"], bytes(key["response_body"])) == (
        "COMPLETED",
        201,
        REPLY.body,
    )
    [event] = await fetch(
        database_url,
        "SELECT event_type, aggregate_id, user_id, payload, traceparent FROM outbox"
        " WHERE aggregate_id = $1",
        transfer.id,
    )
    assert (event["event_type"], event["user_id"], event["traceparent"]) == (
        "transfer.completed",
        alice,
        TRACEPARENT,
    )
    assert json.loads(event["payload"])["to_user_id"] == bob


async def test_creates_the_receivers_balance_in_a_currency_it_never_held(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(90, "EUR"))
    await funded_wallet(session_factory, bob)
    moved = await move_alone(session_factory, new_transfer(alice, bob, Money(90, "EUR")))
    assert moved.outcome is MoveOutcome.MOVED
    assert await balance_of(database_url, alice, "EUR") == 0
    assert await balance_of(database_url, bob, "EUR") == 90


async def test_not_enough_money_claims_the_key_with_the_refusal_and_nothing_else(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob)
    before = await written(database_url, [alice, bob])

    for currency, amount in (("USD", 101), ("EUR", 1)):
        moved = await move_alone(
            session_factory, new_transfer(alice, bob, Money(amount, currency)), key=currency
        )
        assert moved == Move(MoveOutcome.REFUSED)

    after = await written(database_url, [alice, bob])
    assert after["keys"] == [(alice, "EUR", 409), (alice, "USD", 409)]
    assert {k: v for k, v in after.items() if k != "keys"} == {
        k: v for k, v in before.items() if k != "keys"
    }


async def test_a_held_key_is_read_back_and_nothing_moves(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob)
    await move_alone(session_factory, new_transfer(alice, bob, Money(10, "USD")), key="k")
    before = await written(database_url, [alice, bob])

    again = await move_alone(
        session_factory, new_transfer(alice, bob, Money(10, "USD")), key="k", fingerprint="g"
    )

    assert again.outcome is MoveOutcome.HELD
    assert again.holder is not None
    assert (again.holder.fingerprint, again.holder.response) == ("f" * 64, REPLY)
    assert await written(database_url, [alice, bob]) == before


@pytest.mark.parametrize("missing", ["sender", "receiver"])
async def test_an_unknown_wallet_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    alice: str,
    bob: str,
    missing: str,
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob, Money(100, "USD"))
    ghost = f"{alice}-ghost"
    transfer = (
        new_transfer(ghost, bob, Money(10, "USD"))
        if missing == "sender"
        else new_transfer(alice, ghost, Money(10, "USD"))
    )
    before = await written(database_url, [alice, bob, ghost])

    moved = await move_alone(session_factory, transfer)

    expected = MoveOutcome.NO_SENDER if missing == "sender" else MoveOutcome.NO_RECEIVER
    assert moved == Move(expected)
    assert await written(database_url, [alice, bob, ghost]) == before


async def test_a_credit_past_the_largest_amount_is_refused_before_anything_changes(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(10, "USD"))
    await funded_wallet(session_factory, bob, Money(MAX_AMOUNT - 5, "USD"))
    before = await written(database_url, [alice, bob])

    for amount in (6, 10):  # past the row's limit; and past bigint itself
        with pytest.raises(ValidationError) as caught:
            await move_alone(session_factory, new_transfer(alice, bob, Money(amount, "USD")))
        assert caught.value.details == {"field": "amount"}

    assert await written(database_url, [alice, bob]) == before
    moved = await move_alone(session_factory, new_transfer(alice, bob, Money(5, "USD")))
    assert moved.outcome is MoveOutcome.MOVED
    assert await balance_of(database_url, bob) == MAX_AMOUNT


async def test_get_reads_the_transfer_back(
    session_factory: async_sessionmaker[AsyncSession], alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob)
    transfer = new_transfer(alice, bob, Money(10, "USD"), reference=None)
    await move_alone(session_factory, transfer)
    async with session_factory() as session:
        assert await book(session).get(transfer.id) == transfer
        assert await book(session).get(ids.new_id()) is None


async def test_opposite_transfers_at_once_never_deadlock_and_add_up(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(10_000, "USD"))
    await funded_wallet(session_factory, bob, Money(10_000, "USD"))
    transfers = [
        new_transfer(alice, bob, Money(7, "USD"))
        if n % 2
        else new_transfer(bob, alice, Money(3, "USD"))
        for n in range(200)
    ]

    results = await asyncio.gather(
        *(move_alone(session_factory, t) for t in transfers), return_exceptions=True
    )

    assert [r for r in results if not isinstance(r, Move)] == []
    assert {r.outcome for r in results if isinstance(r, Move)} == {MoveOutcome.MOVED}
    assert await balance_of(database_url, alice) == 10_000 - 100 * 7 + 100 * 3
    assert await balance_of(database_url, bob) == 10_000 + 100 * 7 - 100 * 3


async def test_exactly_as_many_transfers_succeed_as_the_balance_affords(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(1_000, "USD"))
    await funded_wallet(session_factory, bob)

    results = await asyncio.gather(
        *(
            move_alone(session_factory, new_transfer(alice, bob, Money(70, "USD")))
            for _ in range(100)
        )
    )

    outcomes = [r.outcome for r in results]
    assert outcomes.count(MoveOutcome.MOVED) == 1_000 // 70
    assert outcomes.count(MoveOutcome.REFUSED) == 100 - 1_000 // 70
    assert await balance_of(database_url, alice) == 1_000 % 70
    assert await balance_of(database_url, bob) == 1_000 // 70 * 70


@pytest.mark.parametrize(
    ("type_", "amount", "transfer_id"),
    [
        ("TRANSFER_OUT", -5, None),  # a leg without its transfer
        ("TRANSFER_OUT", 5, "t"),  # a debit stored positive
        ("TRANSFER_IN", -5, "t"),  # a credit stored negative
        ("DEPOSIT", 5, "t"),  # another type pointing at a transfer
    ],
)
async def test_the_schema_refuses_malformed_transfer_rows(
    session_factory: async_sessionmaker[AsyncSession],
    database_url: str,
    alice: str,
    bob: str,
    type_: str,
    amount: int,
    transfer_id: str | None,
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob)
    transfer = new_transfer(alice, bob, Money(5, "USD"))
    await move_alone(session_factory, transfer)
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO transactions (id, user_id, type, status, amount, currency,"
            " transfer_id, created_at, updated_at)"
            " VALUES ($1, $2, $3, 'COMPLETED', $4, 'USD', $5, now(), now())",
            ids.new_id(),
            alice,
            type_,
            amount,
            None if transfer_id is None else transfer.id,
        )


async def test_transfers_and_their_legs_are_immutable(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str, bob: str
) -> None:
    await funded_wallet(session_factory, alice, Money(100, "USD"))
    await funded_wallet(session_factory, bob)
    transfer = new_transfer(alice, bob, Money(5, "USD"))
    await move_alone(session_factory, transfer)
    for statement in (
        "UPDATE transfers SET amount = 6 WHERE id = $1",
        "DELETE FROM transfers WHERE id = $1",
        "UPDATE transactions SET amount = amount * 2 WHERE transfer_id = $1",
    ):
        with pytest.raises(asyncpg.IntegrityConstraintViolationError):
            await fetch(database_url, statement, transfer.id)


async def test_a_wallet_cannot_transfer_to_itself_even_by_hand(
    session_factory: async_sessionmaker[AsyncSession], database_url: str, alice: str
) -> None:
    async with session_factory() as session:
        await open_wallet(session, alice)
        await session.commit()
    with pytest.raises(asyncpg.CheckViolationError):
        await fetch(
            database_url,
            "INSERT INTO transfers (id, from_user_id, to_user_id, amount, currency, status,"
            " created_at) VALUES ($1, $2, $2, 1, 'USD', 'COMPLETED', now())",
            ids.new_id(),
            alice,
        )
