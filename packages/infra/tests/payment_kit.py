"""Payments on the real adapters for the persistence tests: wallets with funds, a payment's
first write (AsyncpgPaymentBook.open) and its settlement, as the use cases would make them."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Final, TypeVar
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from wallet_domain.model.events import DomainEvent, EventType, event_for
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    new_deposit,
    new_payment,
    new_refund,
)
from wallet_domain.model.wallet import Wallet
from wallet_domain.money import Money
from wallet_domain.ports.payment_book import Opening, OpenOutcome
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.payment_book import AsyncpgPaymentBook
from wallet_infra.persistence.wallet_balances import SqlaWalletBalances
from wallet_infra.persistence.wallets import SqlaWallets

_T = TypeVar("_T")

PROVIDER_ID: Final = UUID("01890a5d-ac96-774b-bcce-b302099a8057")  # seeded by a migration
TRACEPARENT: Final = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
REFUSAL: Final = StoredResponse(409, b'{"error":{"code":"INSUFFICIENT_FUNDS"}}')
REPLY: Final = StoredResponse(201, b'{"status":"settled"}')
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


def book(session: AsyncSession) -> AsyncpgPaymentBook:
    return AsyncpgPaymentBook(db=session, traceparent_provider=lambda: TRACEPARENT)


async def open_wallet(session: AsyncSession, user_id: str) -> None:
    await SqlaWallets(session=session).add(Wallet(user_id=user_id, created_at=clock.now()))


async def deposit(session: AsyncSession, user_id: str, money: Money) -> LedgerEntry:
    """Credit and its ledger row, so balance == sum(ledger) holds for test data too."""
    entry = new_deposit(
        id=ids.new_id(), user_id=user_id, money=money, reference="top-up", at=clock.now()
    )
    await SqlaWalletBalances(session=session).credit(user_id, money)
    await SqlaLedger(session=session).append(entry)
    return entry


async def wallet_holding(session: AsyncSession, user_id: str, *funds: Money) -> None:
    """A wallet holding `funds`, deposited one by one on `session` (not committed)."""
    await open_wallet(session, user_id)
    for money in funds:
        await deposit(session, user_id, money)


async def funded_wallet(
    session_factory: async_sessionmaker[AsyncSession], user_id: str, *funds: Money
) -> None:
    """A committed wallet holding `funds`."""
    async with session_factory() as session:
        await wallet_holding(session, user_id, *funds)
        await session.commit()


def payment(
    user_id: str,
    money: Money,
    *,
    at: datetime | None = None,
    provider_id: UUID = PROVIDER_ID,
) -> LedgerEntry:
    return new_payment(
        id=ids.new_id(),
        user_id=user_id,
        money=money,
        provider_id=provider_id,
        external_reference="bill-42",
        at=at or clock.now(),
    )


def claim_for(
    entry: LedgerEntry, key: str | None = None, *, at: datetime | None = None
) -> IdempotencyRecord:
    """The key a request for `entry` claims, made when the payment is (or at `at`)."""
    return IdempotencyRecord(
        user_id=entry.user_id,
        key=key or f"key-{entry.id}",
        fingerprint="f" * 64,
        state=IdempotencyState.IN_PROGRESS,
        created_at=at or entry.created_at,
        payment_id=entry.id,
    )


def an_event(user_id: str, event_type: EventType, payload: dict[str, Any]) -> DomainEvent:
    """An event of `user_id`'s about a fresh aggregate, occurring now."""
    return DomainEvent(
        event_id=ids.new_id(),
        event_type=event_type,
        occurred_at=clock.now(),
        aggregate_id=ids.new_id(),
        user_id=user_id,
        payload=payload,
    )


def created_event(entry: LedgerEntry) -> DomainEvent:
    return event_for(EventType.PAYMENT_CREATED, entry, event_id=ids.new_id(), at=entry.created_at)


async def committed(session: AsyncSession, work: Awaitable[_T]) -> _T:
    """`work` on `session`, then the commit the use cases send after it: a session that
    took its connection (a test asking for its backend pid) has begun a transaction its
    statements join."""
    result = await work
    await session.commit()
    return result


async def open_entry(session: AsyncSession, entry: LedgerEntry, key: str | None = None) -> Opening:
    """`AsyncpgPaymentBook.open` of `entry` as the payment use case calls it: the key's
    claim, the created event, the refusal it stores if the balance does not cover it."""
    return await book(session).open(entry, claim_for(entry, key), created_event(entry), REFUSAL)


async def open_payment(
    session: AsyncSession,
    user_id: str,
    money: Money,
    *,
    key: str | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Transaction 1 of a payment the wallet affords: key, debit, PENDING row, event.
    A payment backdated to `at` still gets a key made now, so no purge of old keys in
    another test (they share the database) ever finds it."""
    entry = payment(user_id, money, at=at)
    claim = claim_for(entry, key, at=None if at is None else clock.now())
    opening = await book(session).open(entry, claim, created_event(entry), REFUSAL)
    assert opening.outcome is OpenOutcome.DEBITED, opening
    return entry


def settlement_of(
    pending: LedgerEntry,
    status: TransactionStatus,
    *,
    reply: StoredResponse = REPLY,
) -> Settlement:
    """What PaymentSettlement would hand the book for `pending` settled as `status`."""
    now = clock.now()
    settled = pending.settle(status, now)
    if status is TransactionStatus.APPROVED:
        done = event_for(EventType.PAYMENT_COMPLETED, settled, event_id=ids.new_id(), at=now)
        return Settlement(payment=settled, refund=None, events=(done,), reply=reply)
    refund = new_refund(id=ids.new_id(), payment=settled, at=now)
    events = (
        event_for(EventType.REFUND_CREATED, refund, event_id=ids.new_id(), at=now),
        event_for(EventType.PAYMENT_FAILED, settled, event_id=ids.new_id(), at=now),
    )
    return Settlement(payment=settled, refund=refund, events=events, reply=reply)


async def settle(
    session: AsyncSession, pending: LedgerEntry, status: TransactionStatus
) -> Settlement:
    settlement = settlement_of(pending, status)
    assert await book(session).settle(settlement)
    return settlement


async def approve_leftovers(
    session_factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    """Approve whatever a test left PENDING for `user_id`, so no recovery run elsewhere
    ever finds that test's payments."""
    async with session_factory() as session:
        await session.execute(
            text(
                "UPDATE transactions SET status = 'APPROVED', updated_at = now()"
                " WHERE user_id = :u AND type = 'PAYMENT' AND status = 'PENDING'"
            ),
            {"u": user_id},
        )
        await session.commit()
