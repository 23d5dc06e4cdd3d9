"""The fakes keep the promises the ports make, so the use-case tests can trust them."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable, ValidationError, WalletAlreadyExists
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.pagination import LedgerFilter
from wallet_domain.model.transaction import TransactionStatus, TransactionType, new_payment
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus

from .fakes import EPOCH, PROVIDER, IntegrityViolation, World

OK = StoredResponse(201, b"{}")


def _record(key: str, *, at: datetime = EPOCH, payment: UUID | None = None) -> IdempotencyRecord:
    return IdempotencyRecord(
        user_id="alice",
        key=key,
        fingerprint="f",
        state=IdempotencyState.IN_PROGRESS,
        created_at=at,
        payment_id=payment,
    )


async def test_writes_reach_the_database_only_on_commit(world: World) -> None:
    scope = world.scope()
    await scope.wallets.add(Wallet(user_id="alice", created_at=EPOCH))
    await scope.balances.credit("alice", Money(5, "USD"))
    assert world.db.committed.wallets == {}
    assert await scope.wallets.get("alice") is not None, "a unit of work sees its own writes"
    await scope.tx.commit()
    assert world.db.balance("alice", "USD") == 5
    assert scope.tx.commits == 1


async def test_rollback_discards_staged_writes(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    scope = world.scope()
    await scope.balances.debit("alice", Money(10, "USD"))
    assert await scope.idempotency.claim(_record("k")) is None
    await scope.tx.rollback()
    assert world.db.balance("alice", "USD") == 10
    assert world.db.record("alice", "k") is None
    assert await scope.balances.read("alice") == [Balance(currency="USD", available=10, pending=0)]


async def test_concurrent_units_of_work_merge_balance_changes(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    first, second = world.scope(), world.scope()
    await first.balances.debit("alice", Money(3, "USD"))
    await second.balances.credit("alice", Money(5, "USD"))
    await first.tx.commit()
    await second.tx.commit()
    assert world.db.balance("alice", "USD") == 12


async def test_failing_commit_keeps_nothing(world: World) -> None:
    scope = world.scope()
    scope.tx.fail_next_commit = RuntimeError("connection lost")
    await scope.wallets.add(Wallet(user_id="alice", created_at=EPOCH))
    with pytest.raises(RuntimeError):
        await scope.tx.commit()
    await scope.tx.rollback()
    assert world.db.committed.wallets == {}


async def test_wallets_are_unique(world: World) -> None:
    world.seed_wallet("alice")
    with pytest.raises(WalletAlreadyExists):
        await world.scope().wallets.add(Wallet(user_id="alice", created_at=EPOCH))


async def test_balances_never_go_negative_or_overflow(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    scope = world.scope()
    assert await scope.balances.debit("alice", Money(11, "USD")) is None
    assert await scope.balances.debit("alice", Money(1, "EUR")) is None
    assert await scope.balances.debit("alice", Money(10, "USD")) == 0
    with pytest.raises(IntegrityViolation):
        await scope.balances.credit("nobody", Money(1, "USD"))
    await scope.balances.credit("alice", Money(MAX_AMOUNT, "USD"))
    with pytest.raises(ValidationError):
        await scope.balances.credit("alice", Money(1, "USD"))


async def test_pending_is_the_sum_of_pending_payments(world: World) -> None:
    world.seed_wallet("alice", USD=100, EUR=50)
    scope = world.scope()
    for amount in (10, 20):
        payment = new_payment(
            id=world.ids.new_id(),
            user_id="alice",
            money=Money(amount, "USD"),
            provider_id=PROVIDER.id,
            external_reference="b",
            at=EPOCH,
        )
        await scope.balances.debit("alice", payment.money)
        await scope.ledger.append(payment)
    assert await scope.ledger.settle_payment(payment.id, TransactionStatus.APPROVED, EPOCH)
    assert await scope.balances.read("alice") == [
        Balance(currency="EUR", available=50, pending=0),
        Balance(currency="USD", available=70, pending=10),
    ]
    assert await scope.balances.read("alice", "EUR") == [
        Balance(currency="EUR", available=50, pending=0)
    ]


async def test_ledger_guards_pending_and_refunds(world: World) -> None:
    world.seed_wallet("alice", USD=100)
    deposit = world.db.entries()[0]
    scope = world.scope()
    assert await scope.ledger.settle_payment(deposit.id, TransactionStatus.FAILED, EPOCH) is None
    assert (
        await scope.ledger.settle_payment(world.ids.new_id(), TransactionStatus.FAILED, EPOCH)
        is None
    )
    with pytest.raises(IntegrityViolation):
        await scope.ledger.append(deposit)
    assert await scope.ledger.get("bob", deposit.id) is None


async def test_ledger_pages_newest_first_with_filters(world: World) -> None:
    world.seed_wallet("alice", USD=1, EUR=2, GBP=3)
    world.seed_wallet("bob", USD=4)
    ledger = world.scope().ledger
    ids = [e.id for e in world.db.entries(user_id="alice")]
    assert [e.id for e in await ledger.page("alice", LedgerFilter(), before=None, limit=10)] == (
        ids[::-1]
    )
    assert [e.id for e in await ledger.page("alice", LedgerFilter(), before=ids[2], limit=1)] == [
        ids[1]
    ]
    eur = await ledger.page("alice", LedgerFilter(currency="EUR"), before=None, limit=10)
    assert [e.money for e in eur] == [Money(2, "EUR")]
    none = LedgerFilter(type=TransactionType.PAYMENT, status=TransactionStatus.PENDING)
    assert await ledger.page("alice", none, before=None, limit=10) == []


async def test_idempotency_claim_returns_the_holder(world: World) -> None:
    scope = world.scope()
    first = _record("k")
    assert await scope.idempotency.claim(first) is None
    assert await scope.idempotency.claim(_record("k", at=EPOCH + timedelta(1))) == first
    with pytest.raises(IntegrityViolation):
        await scope.idempotency.complete("alice", "unknown", OK, EPOCH)


async def test_complete_for_payment_only_touches_in_progress_records(world: World) -> None:
    payment_id = world.ids.new_id()
    scope = world.scope()
    await scope.idempotency.claim(_record("k", payment=payment_id))
    await scope.idempotency.complete_for_payment(world.ids.new_id(), OK, EPOCH)
    assert scope.tx.tables.idempotency[("alice", "k")].state is IdempotencyState.IN_PROGRESS
    await scope.idempotency.complete_for_payment(payment_id, OK, EPOCH)
    await scope.idempotency.complete_for_payment(payment_id, StoredResponse(500, b"x"), EPOCH)
    await scope.tx.commit()
    record = world.db.record("alice", "k")
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, OK)


async def test_purge_deletes_old_completed_records_in_batches(world: World) -> None:
    scope = world.scope()
    for n in range(4):
        await scope.idempotency.claim(_record(f"old-{n}", at=EPOCH + timedelta(minutes=n)))
        await scope.idempotency.complete("alice", f"old-{n}", OK, EPOCH)
    await scope.idempotency.claim(_record("in-flight"))
    await scope.idempotency.claim(_record("new", at=EPOCH + timedelta(days=2)))
    await scope.idempotency.complete("alice", "new", OK, EPOCH)
    cutoff = EPOCH + timedelta(days=1)
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 3
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 1
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 0
    await scope.tx.commit()
    assert set(world.db.committed.idempotency) == {("alice", "in-flight"), ("alice", "new")}


async def test_stale_pending_claims_skip_rows_other_units_hold(world: World) -> None:
    world.seed_wallet("alice", USD=100)
    seeder = world.scope()
    payments = []
    for _ in range(2):
        payment = new_payment(
            id=world.ids.new_id(),
            user_id="alice",
            money=Money(1, "USD"),
            provider_id=PROVIDER.id,
            external_reference="b",
            at=EPOCH,
        )
        await seeder.balances.debit("alice", payment.money)
        await seeder.ledger.append(payment)
        payments.append(payment)
    await seeder.tx.commit()
    cutoff = EPOCH + timedelta(seconds=1)
    first, second = world.scope(), world.scope()
    assert await first.ledger.claim_stale_pending(cutoff) == payments[0]
    assert await second.ledger.claim_stale_pending(cutoff) == payments[1]
    assert await second.ledger.claim_stale_pending(cutoff, skip=[payments[1].id]) is None
    assert await first.ledger.claim_stale_pending(EPOCH) is None, "not old enough"
    await first.tx.rollback()
    assert await second.ledger.claim_stale_pending(cutoff, skip=[payments[1].id]) == payments[0]


async def test_gateway_follows_its_script_and_records_calls(world: World) -> None:
    gateway = world.gateway
    gateway.script(charges=[ChargeStatus.DECLINED], lookups=[LookupStatus.NOT_CHARGED])
    payment_id = world.ids.new_id()
    async with gateway.admission():
        assert gateway.in_use == 1
        assert await gateway.lookup(payment_id, Deadline.after(1)) is LookupStatus.NOT_CHARGED
        with pytest.raises(AssertionError):
            await gateway.lookup(payment_id, Deadline.after(1))
    assert (gateway.admitted, gateway.in_use, gateway.lookup_calls) == (1, 0, [payment_id] * 2)
    gateway.unavailable = True
    with pytest.raises(GatewayUnavailable) as caught:
        async with gateway.admission():
            pass  # pragma: no cover
    assert caught.value.retry_after_s == 7
    assert gateway.admitted == 1


async def test_guards_see_commits_made_after_a_units_snapshot(world: World) -> None:
    world.seed_wallet("alice", USD=100)
    payment = new_payment(
        id=world.ids.new_id(),
        user_id="alice",
        money=Money(1, "USD"),
        provider_id=PROVIDER.id,
        external_reference="b",
        at=EPOCH,
    )
    seeder = world.scope()
    await seeder.balances.debit("alice", payment.money)
    await seeder.ledger.append(payment)
    await seeder.tx.commit()
    slow, fast = world.scope(), world.scope()
    assert await slow.ledger.get("alice", payment.id) == payment  # snapshot taken
    assert await fast.ledger.settle_payment(payment.id, TransactionStatus.APPROVED, EPOCH)
    assert await fast.idempotency.claim(_record("k")) is None
    await fast.tx.commit()

    assert await slow.ledger.settle_payment(payment.id, TransactionStatus.FAILED, EPOCH) is None
    assert await slow.idempotency.claim(_record("k", at=EPOCH + timedelta(1))) == _record("k")
