"""The fakes keep the promises the ports make, so the use-case tests can trust them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable, ValidationError, WalletAlreadyExists
from wallet_domain.model.events import EventType, event_for
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.settlement import Settlement
from wallet_domain.model.transaction import (
    LedgerEntry,
    TransactionStatus,
    TransactionType,
    new_payment,
    new_refund,
)
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.money import MAX_AMOUNT, Money
from wallet_domain.ports.payment_book import Opening, OpenOutcome
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.store import IntegrityViolation, assert_money_invariants
from wallet_testkit.fakes.world import PROVIDER, Scope, World

OK = StoredResponse(201, b"{}")
NO = StoredResponse(409, b"refused")


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
    assert (await _open(world, scope, 10)).outcome is OpenOutcome.DEBITED
    assert await scope.idempotency.claim(_record("k")) is None
    await scope.tx.rollback()
    assert world.db.balance("alice", "USD") == 10
    assert world.db.record("alice", "k") is None
    assert world.db.entries(type=TransactionType.PAYMENT) == []
    assert world.db.events() == []
    read = await scope.balances.read("alice")
    assert read.balances == [Balance(currency="USD", available=10, pending=0)]


async def test_concurrent_units_of_work_merge_balance_changes(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    first, second = world.scope(), world.scope()
    assert (await _open(world, first, 3)).outcome is OpenOutcome.DEBITED
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
    assert (await _open(world, scope, 11, key="a")).outcome is OpenOutcome.REFUSED
    assert (await _open(world, scope, 1, "EUR", key="b")).outcome is OpenOutcome.REFUSED
    assert (await _open(world, scope, 10, key="c")).outcome is OpenOutcome.DEBITED
    assert (await _open(world, scope, 1, key="d")).outcome is OpenOutcome.REFUSED
    assert scope.tx.tables.balances[("alice", "USD")] == 0
    with pytest.raises(IntegrityViolation):
        await scope.balances.credit("nobody", Money(1, "USD"))
    # 10 is held by the PENDING payment: the balance may only grow to MAX_AMOUNT - 10.
    with pytest.raises(ValidationError):
        await scope.balances.credit("alice", Money(MAX_AMOUNT, "USD"))
    await scope.balances.credit("alice", Money(MAX_AMOUNT - 10, "USD"))
    with pytest.raises(ValidationError):
        await scope.balances.credit("alice", Money(1, "USD"))


async def test_pending_is_the_sum_of_pending_payments(world: World) -> None:
    world.seed_wallet("alice", USD=100, EUR=50)
    scope = world.scope()
    for amount in (10, 20):
        payment = _payment(world, amount)
        assert (await _open(world, scope, payment=payment)).outcome is OpenOutcome.DEBITED
    assert await scope.book.settle(_approved(payment))
    assert (await scope.balances.read("alice")).balances == [
        Balance(currency="EUR", available=50, pending=0),
        Balance(currency="USD", available=70, pending=10),
    ]
    assert (await scope.balances.read("alice", "EUR")).balances == [
        Balance(currency="EUR", available=50, pending=0)
    ]


async def test_ledger_guards_ids_and_owners(world: World) -> None:
    world.seed_wallet("alice", USD=100)
    deposit = world.db.entries()[0]
    scope = world.scope()
    with pytest.raises(IntegrityViolation):
        await scope.ledger.append(deposit)
    assert await scope.ledger.get("bob", deposit.id) is None
    assert await scope.ledger.get("alice", deposit.id) == deposit


async def test_ledger_pages_newest_first_with_filters(world: World) -> None:
    world.seed_wallet("alice", USD=1, EUR=2, GBP=3)
    world.seed_wallet("bob", USD=4)
    ledger = world.scope().ledger
    entries = world.db.entries(user_id="alice")
    ids = [e.id for e in entries]
    assert [e.id for e in await ledger.page("alice", LedgerFilter(), before=None, limit=10)] == (
        ids[::-1]
    )
    third = LedgerPosition.of(entries[2])
    assert [e.id for e in await ledger.page("alice", LedgerFilter(), before=third, limit=1)] == [
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


async def test_complete_returns_the_reply_the_key_holds(world: World) -> None:
    scope = world.scope()
    await scope.idempotency.claim(_record("k"))
    assert await scope.idempotency.complete("alice", "k", OK, EPOCH) == OK
    assert await scope.idempotency.complete("alice", "k", StoredResponse(500, b"x"), EPOCH) == OK
    await scope.tx.commit()
    record = world.db.record("alice", "k")
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, OK)


async def test_purge_counts_from_an_answer_another_unit_of_work_committed(
    world: World,
) -> None:
    answering = world.scope()
    await answering.idempotency.claim(_record("late", at=EPOCH))
    await answering.idempotency.complete("alice", "late", OK, EPOCH + timedelta(days=2))
    await answering.tx.commit()

    purging = world.scope()
    assert await purging.idempotency.purge_older_than(EPOCH + timedelta(days=1), batch=10) == 0
    await purging.tx.commit()
    assert ("alice", "late") in world.db.committed.idempotency


async def test_purge_deletes_old_completed_records_in_batches(world: World) -> None:
    scope = world.scope()
    for n in range(4):
        at = EPOCH + timedelta(minutes=n)
        await scope.idempotency.claim(_record(f"old-{n}", at=at))
        await scope.idempotency.complete("alice", f"old-{n}", OK, at)
    await scope.idempotency.claim(_record("in-flight"))
    await scope.idempotency.claim(_record("new", at=EPOCH + timedelta(days=2)))
    await scope.idempotency.complete("alice", "new", OK, EPOCH + timedelta(days=2))
    # Claimed with the old ones, answered only two days later: kept from its answer.
    await scope.idempotency.claim(_record("late", at=EPOCH))
    await scope.idempotency.complete("alice", "late", OK, EPOCH + timedelta(days=2))
    cutoff = EPOCH + timedelta(days=1)
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 3
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 1
    assert await scope.idempotency.purge_older_than(cutoff, batch=3) == 0
    await scope.tx.commit()
    assert set(world.db.committed.idempotency) == {
        ("alice", "in-flight"),
        ("alice", "new"),
        ("alice", "late"),
    }


async def test_stale_pending_claims_skip_rows_other_units_hold(world: World) -> None:
    world.seed_wallet("alice", USD=100)
    payments = [await world.pending_payment("alice", Money(1, "USD")) for _ in range(2)]
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
    payment = await world.pending_payment("alice", Money(1, "USD"))
    slow, fast = world.scope(), world.scope()
    assert await slow.ledger.get("alice", payment.id) == payment  # snapshot taken
    assert await fast.book.settle(_approved(payment))
    assert await fast.idempotency.claim(_record("k")) is None
    await fast.tx.commit()

    assert not await slow.book.settle(_approved(payment))
    assert not slow.tx.has_pending_writes
    assert await slow.idempotency.claim(_record("k", at=EPOCH + timedelta(1))) == _record("k")


# --------------------------------------------------------------------------- payment book


def _payment(world: World, amount: int, currency: str = "USD") -> LedgerEntry:
    return new_payment(
        id=world.ids.new_id(),
        user_id="alice",
        money=Money(amount, currency),
        provider_id=PROVIDER.id,
        external_reference="b",
        at=EPOCH,
    )


async def _open(
    world: World,
    scope: Scope,
    amount: int = 1,
    currency: str = "USD",
    *,
    key: str | None = None,
    payment: LedgerEntry | None = None,
) -> Opening:
    """Open a payment of alice's under `key` (by default one of its own)."""
    payment = payment or _payment(world, amount, currency)
    created = event_for(EventType.PAYMENT_CREATED, payment, event_id=world.ids.new_id(), at=EPOCH)
    claim = _record(key or f"pay-{payment.id}", payment=payment.id)
    return await scope.book.open(payment, claim, created, NO)


def _approved(payment: LedgerEntry) -> Settlement:
    settled = payment.settle(TransactionStatus.APPROVED, EPOCH)
    return Settlement(payment=settled, refund=None, events=(), reply=OK)


def _failed(world: World, payment: LedgerEntry, reply: StoredResponse = OK) -> Settlement:
    settled = payment.settle(TransactionStatus.FAILED, EPOCH)
    refund = new_refund(id=world.ids.new_id(), payment=settled, at=EPOCH)
    events = (
        event_for(EventType.REFUND_CREATED, refund, event_id=world.ids.new_id(), at=EPOCH),
        event_for(EventType.PAYMENT_FAILED, settled, event_id=world.ids.new_id(), at=EPOCH),
    )
    return Settlement(payment=settled, refund=refund, events=events, reply=reply)


async def test_open_debits_claims_and_announces_in_one_write(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    scope = world.scope()
    payment = _payment(world, 4)

    opening = await _open(world, scope, payment=payment, key="k")

    assert opening == Opening(OpenOutcome.DEBITED)
    assert world.db.balance("alice", "USD") == 10, "nothing visible before commit"
    await scope.tx.commit()
    assert world.db.balance("alice", "USD") == 6
    assert world.db.committed.ledger[payment.id] == payment
    assert world.db.event_types(payment.id) == ["payment.created"]
    assert world.db.record("alice", "k") == _record("k", payment=payment.id)
    assert scope.book.openings == [opening]


async def test_open_refusal_is_stored_under_the_key_and_nothing_else(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    scope = world.scope()
    payment = _payment(world, 11)

    assert (await _open(world, scope, payment=payment, key="k")).outcome is OpenOutcome.REFUSED
    await scope.tx.commit()

    record = world.db.record("alice", "k")
    assert record is not None
    assert (record.state, record.response, record.payment_id) == (
        IdempotencyState.COMPLETED,
        NO,
        payment.id,
    )
    assert world.db.balance("alice", "USD") == 10
    assert world.db.entries(type=TransactionType.PAYMENT) == []
    assert world.db.events() == []


async def test_open_on_a_held_key_returns_the_holder_and_writes_nothing(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    first = world.scope()
    await _open(world, first, key="k")
    held = await _open(world, first, key="k")
    assert held.outcome is OpenOutcome.HELD, "a unit sees its own claim"
    await first.tx.commit()
    holder = world.db.record("alice", "k")
    second = world.scope()

    opening = await _open(world, second, key="k")

    assert opening == Opening(OpenOutcome.HELD, holder=holder)
    assert not second.tx.has_pending_writes
    assert world.db.balance("alice", "USD") == 9


async def test_open_without_a_wallet_writes_nothing(world: World) -> None:
    scope = world.scope()

    assert await _open(world, scope, key="k") == Opening(OpenOutcome.NO_WALLET)

    assert not scope.tx.has_pending_writes


async def test_open_decides_on_the_latest_committed_balance(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    slow, fast = world.scope(), world.scope()
    assert await slow.wallets.get("alice") is not None  # snapshot taken: USD 10
    assert (await _open(world, fast, 10)).outcome is OpenOutcome.DEBITED
    await fast.tx.commit()

    assert (await _open(world, slow, 1)).outcome is OpenOutcome.REFUSED
    await slow.tx.commit()

    assert world.db.balance("alice", "USD") == 0
    assert_money_invariants(world.db)


async def test_settle_refunds_and_completes_only_the_payments_in_progress_key(
    world: World,
) -> None:
    world.seed_wallet("alice", USD=10)
    payment = await world.pending_payment("alice", Money(4, "USD"), key="mine")
    other = await world.pending_payment("alice", Money(1, "USD"), key="other")
    scope = world.scope()
    settlement = _failed(world, payment)

    assert await scope.book.settle(settlement)
    await scope.tx.commit()

    assert world.db.committed.ledger[payment.id] == settlement.payment
    assert world.db.refunds_of(payment.id) == [settlement.refund]
    assert world.db.balance("alice", "USD") == 9
    assert world.db.events(payment.id)[1:] == list(settlement.events)
    mine, theirs = world.db.record("alice", "mine"), world.db.record("alice", "other")
    assert mine is not None
    assert theirs is not None
    assert (mine.state, mine.response) == (IdempotencyState.COMPLETED, OK)
    assert (theirs.state, theirs.payment_id) == (IdempotencyState.IN_PROGRESS, other.id)
    assert scope.book.settlements == [settlement]
    assert_money_invariants(world.db)


async def test_settle_keeps_a_reply_stored_after_the_units_snapshot(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    payment = await world.pending_payment("alice", Money(4, "USD"), key="k")
    slow, fast = world.scope(), world.scope()
    assert await slow.ledger.get("alice", payment.id) == payment  # snapshot taken
    said = StoredResponse(504, b"pending")
    await fast.idempotency.complete("alice", "k", said, EPOCH)
    await fast.tx.commit()

    assert await slow.book.settle(_approved(payment))
    await slow.tx.commit()

    record = world.db.record("alice", "k")
    assert record is not None
    assert record.response == said
    assert world.db.committed.ledger[payment.id].status is TransactionStatus.APPROVED


async def test_settle_that_breaks_a_constraint_stages_nothing(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    refunded = await world.pending_payment("alice", Money(1, "USD"))
    first = world.scope()
    assert await first.book.settle(_failed(world, refunded))
    await first.tx.commit()
    payment = await world.pending_payment("alice", Money(2, "USD"))
    settlement = _failed(world, payment)
    assert settlement.refund is not None
    deposit = world.db.entries(type=TransactionType.DEPOSIT)[0]
    broken = [
        replace(settlement, refund=replace(settlement.refund, refund_of=refunded.id)),
        replace(settlement, refund=replace(settlement.refund, id=deposit.id)),
        replace(settlement, refund=replace(settlement.refund, user_id="nobody")),
    ]

    for attempt in broken:
        scope = world.scope()
        with pytest.raises(IntegrityViolation):
            await scope.book.settle(attempt)
        assert not scope.tx.has_pending_writes
        assert scope.book.settlements == []

    assert world.db.committed.ledger[payment.id].status is TransactionStatus.PENDING
    assert_money_invariants(world.db)


async def test_held_money_always_fits_when_a_settlement_gives_it_back(world: World) -> None:
    world.seed_wallet("alice", USD=10)
    payment = await world.pending_payment("alice", Money(10, "USD"))
    topping = world.scope()
    with pytest.raises(ValidationError):
        await topping.balances.credit("alice", Money(MAX_AMOUNT, "USD"))
    await topping.balances.credit("alice", Money(MAX_AMOUNT - 10, "USD"))
    await topping.tx.commit()
    scope = world.scope()

    assert await scope.book.settle(_failed(world, payment))
    await scope.tx.commit()

    assert world.db.balance("alice", "USD") == MAX_AMOUNT
