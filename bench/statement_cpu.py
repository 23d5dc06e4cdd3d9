"""Client CPU per payment statement: `python bench/statement_cpu.py [N]`.

Runs N payments (OPEN, then SETTLE_APPROVED) one after another in a database of its own
(`bench_database`: created, migrated and dropped on the server of WALLET_DATABASE_URL) and
reports the process CPU time (`time.process_time()`) per round trip, two ways:

- `statements`: the two statements alone on one asyncpg connection (the SQL text and the
  positional arguments the adapter sends, nothing else);
- `adapter`: the payment book's `open` and `settle`, as the API calls them (each
  statement on a connection checked out of a one-connection engine pool).

Wall time would mostly measure the server and whatever else runs on the machine; the
client's CPU time is what the payment path spends on each statement.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from typing import Any, Final

import uvloop
from database import bench_database
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, new_payment
from wallet_domain.model.wallet import Wallet
from wallet_domain.money import Money
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence import AsyncpgPaymentBook, SqlaWalletBalances, SqlaWallets
from wallet_infra.persistence.engine import make_engine, make_session_factory
from wallet_infra.persistence.ledger_queries import entry_row
from wallet_infra.persistence.outbox import event_row
from wallet_infra.persistence.statements.payment_book import OPEN, SETTLE_APPROVED

PROVIDER_ID: Final = uuid.UUID("01890a5d-ac96-774b-bcce-b302099a8057")  # seeded by a migration
REFUSAL: Final = StoredResponse(409, b"{}")
REPLY: Final = StoredResponse(201, b'{"status":"APPROVED"}')
ROUNDS: Final = 5
clock: Final = SystemClock()
ids: Final = UuidV7Generator()


async def _funded_wallet(engine: AsyncEngine, payments: int) -> str:
    user_id = f"cpu-{uuid.uuid4().hex[:16]}"
    async with make_session_factory(engine)() as session:
        await SqlaWallets(session=session).add(Wallet(user_id=user_id, created_at=clock.now()))
        await SqlaWalletBalances(session=session).credit(user_id, Money(payments * 10, "USD"))
        await session.commit()
    return user_id


def _payment(user_id: str) -> tuple[LedgerEntry, IdempotencyRecord, Settlement]:
    entry = new_payment(
        id=ids.new_id(),
        user_id=user_id,
        money=Money(1, "USD"),
        provider_id=PROVIDER_ID,
        external_reference="cpu-bench",
        at=clock.now(),
    )
    claim = IdempotencyRecord(
        user_id=user_id,
        key=f"k-{entry.id}",
        fingerprint="f" * 64,
        state=IdempotencyState.IN_PROGRESS,
        created_at=entry.created_at,
        payment_id=entry.id,
    )
    settled = entry.settle(TransactionStatus.APPROVED, clock.now())
    done = event_for(EventType.PAYMENT_COMPLETED, settled, event_id=ids.new_id(), at=clock.now())
    return entry, claim, Settlement(payment=settled, refund=None, events=(done,), reply=REPLY)


def _event_params(event: Any) -> dict[str, Any]:
    row = event_row(event) | {"payload": "{}"}
    return {f"e0_{name}": value for name, value in row.items()}


async def _statements(engine: AsyncEngine, user_id: str, payments: int) -> float:
    """CPU seconds for `payments` OPEN + SETTLE_APPROVED on one raw connection."""
    made = [_payment(user_id) for _ in range(payments)]
    opened, settled = [], []
    for entry, claim, settlement in made:
        created = event_for(EventType.PAYMENT_CREATED, entry, event_id=ids.new_id(), at=clock.now())
        opened.append(
            {
                "user_id": user_id,
                "key": claim.key,
                "fingerprint": claim.fingerprint,
                "payment_id": entry.id,
                "created_at": claim.created_at,
                "currency": "USD",
                "amount": 1,
                "refusal_status": REFUSAL.status_code,
                "refusal_body": REFUSAL.body,
                **{f"p_{name}": value for name, value in entry_row(entry).items()},
                **_event_params(created),
            }
        )
        settled.append(
            {
                "payment_id": entry.id,
                "status": "APPROVED",
                "at": settlement.payment.updated_at,
                "reply_status": REPLY.status_code,
                "reply_body": REPLY.body,
                **_event_params(settlement.events[0]),
            }
        )
    pooled = await engine.raw_connection()
    try:
        driver = pooled.driver_connection
        assert driver is not None
        started = time.process_time()
        for open_params, settle_params in zip(opened, settled, strict=True):
            await driver.fetchrow(OPEN.sql, *OPEN.args(open_params))
            await driver.fetchrow(SETTLE_APPROVED.sql, *SETTLE_APPROVED.args(settle_params))
        return time.process_time() - started
    finally:
        pooled.close()


async def _adapter(engine: AsyncEngine, user_id: str, payments: int) -> float:
    """CPU seconds for `payments` book.open + book.settle, as the API runs them."""
    made = [_payment(user_id) for _ in range(payments)]
    book = AsyncpgPaymentBook(db=engine)  # as the API's one unconditional `Pay` holds it
    started = time.process_time()
    for entry, claim, settlement in made:
        created = event_for(EventType.PAYMENT_CREATED, entry, event_id=ids.new_id(), at=clock.now())
        await book.open(entry, claim, created, REFUSAL)
        await book.settle(settlement)
    return time.process_time() - started


async def main(payments: int) -> None:
    async with bench_database(uuid.uuid4().hex[:8]) as (dsn, _):
        await _measure(dsn, payments)


async def _measure(dsn: str, payments: int) -> None:
    engine = make_engine(dsn, pool_size=1, max_overflow=0)
    try:
        user_id = await _funded_wallet(engine, payments * ROUNDS * 3)
        await _statements(engine, user_id, 100)  # warm up: prepared statements, caches
        await _adapter(engine, user_id, 100)
        for name, run in (("statements", _statements), ("adapter", _adapter)):
            seconds = [await run(engine, user_id, payments) for _ in range(ROUNDS)]
            per_trip = [s / (2 * payments) * 1e6 for s in seconds]
            print(
                f"{name:>10}: {payments} payments x {ROUNDS} rounds, CPU per round trip"
                f" min {min(per_trip):.1f} us, median {statistics.median(per_trip):.1f} us"
            )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
