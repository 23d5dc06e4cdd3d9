"""Pay: debit, charge the gateway, settle — through in-memory fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import (
    GatewayUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    ProviderNotFound,
    WalletNotFound,
)
from wallet_domain.model.idempotency import IdempotencyState, Reply, StoredResponse
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.model.wallet import Balance
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.money import Money
from wallet_domain.ports.payment_book import OpenOutcome
from wallet_domain.ports.payment_gateway import ChargeRequest, ChargeStatus, LookupStatus
from wallet_domain.use_cases.get_balance import GetBalanceRequest
from wallet_domain.use_cases.pay import Pay, PayRequest
from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_domain.wallet_precondition import Unconditional
from wallet_testkit.fakes.answered_keys import NoHints, NotedKeys
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import PROVIDER, RETIRED, WATER, World, refused_field

START = 10_000
AMOUNT = 2_500


# The same request again, or another one, under a key whose first request is still going.
a_second_request_under_a_held_key = pytest.mark.parametrize(
    ("change", "error"),
    [({}, IdempotencyInProgress), ({"amount": 1}, IdempotencyKeyReused)],
)


def _request(**overrides: Any) -> PayRequest:
    fields: dict[str, Any] = {
        "user_id": "alice",
        "idempotency_key": "pay-1",
        "provider_id": PROVIDER.id,
        "external_reference": "bill-42",
        "amount": AMOUNT,
        "currency": "USD",
        "deadline": Deadline.after(30),
    }
    fields.update(overrides)
    return PayRequest(**fields)


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice", USD=START)
    return world


THIS_PROCESS, ANOTHER_PROCESS = "this process", "another process"


@pytest.fixture(params=[THIS_PROCESS, ANOTHER_PROCESS])
def answered_by(request: pytest.FixtureRequest, alice: World) -> Iterator[str]:
    """Which process a later request under a key meets: the one that answered it (the key
    noted, so one lookup answers a replay) or another one (nothing noted: the opening's
    claim finds the reply). Every replay rule must hold either way, so a test run as
    "this process" must have been answered by a lookup at least once."""
    if request.param == ANOTHER_PROCESS:
        alice.answered_keys = NoHints()
    yield str(request.param)
    if request.param == THIS_PROCESS:
        assert isinstance(alice.answered_keys, NotedKeys)
        assert alice.answered_keys.asked > 0, "no request was answered by the lookup"


def _the_payment(world: World) -> LedgerEntry:
    [payment] = world.db.entries(type=TransactionType.PAYMENT)
    return payment


def _assert_nothing_happened(world: World, *, key: str = "pay-1") -> None:
    """Refused before any side effect: no debit, no payment, no event, key still free."""
    assert world.db.balance("alice", "USD") == START
    assert world.db.entries(type=TransactionType.PAYMENT) == []
    assert world.db.events() == []
    assert world.db.record("alice", key) is None
    assert world.gateway.charge_calls == []
    assert world.gateway.in_use == 0


async def _stale_resolution(world: World) -> None:
    """What the recovery worker does once the payment is old enough."""
    world.clock.advance(timedelta(minutes=10))
    await world.resolver().execute(
        ResolvePendingRequest(older_than=timedelta(minutes=5), batch=10, lookup_timeout_s=1)
    )


async def _crash(_: ChargeRequest) -> None:
    raise RuntimeError("process killed")


# --------------------------------------------------------------------------- happy path


async def test_approved_payment_debits_and_records_everything(alice: World) -> None:
    scope = alice.scope()

    reply = await alice.pay(scope).execute(_request())

    payment = _the_payment(alice)
    assert not reply.replayed
    assert reply.response.status_code == 201
    assert body(reply.response) == {
        "id": str(payment.id),
        "type": "PAYMENT",
        "status": "APPROVED",
        "amount": AMOUNT,
        "currency": "USD",
    }
    assert payment.status is TransactionStatus.APPROVED
    assert (payment.provider_id, payment.external_reference) == (PROVIDER.id, "bill-42")
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert alice.db.refunds_of(payment.id) == []
    assert alice.db.event_types(payment.id) == ["payment.created", "payment.completed"]
    created, completed = alice.db.events(payment.id)
    assert created.payload["status"] == "PENDING"
    assert completed.payload["status"] == "APPROVED"
    assert created.event_id != completed.event_id
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert (record.state, record.response, record.payment_id) == (
        IdempotencyState.COMPLETED,
        reply.response,
        payment.id,
    )
    assert (scope.tx.commits, scope.tx.rollbacks) == (2, 0)
    assert_money_invariants(alice.db)


async def test_gateway_is_charged_once_with_the_payment_id_as_its_key(alice: World) -> None:
    deadline = Deadline.after(12)

    await alice.pay().execute(_request(deadline=deadline))

    payment = _the_payment(alice)
    assert alice.gateway.charge_calls == [
        ChargeRequest(
            payment_id=payment.id,
            user_id="alice",
            money=Money(AMOUNT, "USD"),
            provider_id=PROVIDER.id,
            external_reference="bill-42",
        )
    ]
    assert alice.gateway.lookup_calls == []
    assert (alice.gateway.admitted, alice.gateway.in_use) == (1, 0)


async def test_debit_and_pending_payment_are_committed_before_the_charge(alice: World) -> None:
    seen: dict[str, Any] = {}

    async def inspect(request: ChargeRequest) -> None:
        seen["payment"] = alice.db.committed.ledger[request.payment_id]
        seen["balance"] = alice.db.balance("alice", "USD")
        seen["events"] = alice.db.event_types()
        seen["record"] = alice.db.record("alice", "pay-1")
        seen["slots"] = alice.gateway.in_use

    alice.gateway.on_charge = inspect
    await alice.pay().execute(_request())

    assert seen["payment"].status is TransactionStatus.PENDING
    assert seen["balance"] == START - AMOUNT
    assert seen["events"] == ["payment.created"]
    assert seen["record"].state is IdempotencyState.IN_PROGRESS
    assert seen["record"].payment_id == seen["payment"].id
    assert seen["slots"] == 1, "the admission slot is held during the charge"


async def test_whole_balance_can_be_spent(alice: World) -> None:
    reply = await alice.pay().execute(_request(amount=START))
    assert reply.response.status_code == 201
    assert alice.db.balance("alice", "USD") == 0
    assert_money_invariants(alice.db)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("amount", "currency"), [(START + 1, "USD"), (1, "EUR")])
async def test_insufficient_funds_is_a_stored_final_answer(
    alice: World, answered_by: str, amount: int, currency: str
) -> None:
    reply = await alice.pay().execute(_request(amount=amount, currency=currency))

    assert not reply.replayed
    assert reply.response.status_code == 409
    assert body(reply.response)["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert body(reply.response)["error"]["details"] == {"currency": currency, "amount": amount}
    assert alice.db.entries(type=TransactionType.PAYMENT) == []
    assert alice.db.events() == []
    assert alice.db.balance("alice", "USD") == START
    assert alice.gateway.charge_calls == []
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, reply.response)

    replay = await alice.pay().execute(_request(amount=amount, currency=currency))
    assert replay == Reply(reply.response, replayed=True)
    assert_money_invariants(alice.db)


async def test_unknown_wallet_is_not_found_and_the_key_stays_free(world: World) -> None:
    scope = world.scope()

    with pytest.raises(WalletNotFound) as caught:
        await world.pay(scope).execute(_request())

    assert caught.value.details == {"user_id": "alice"}
    assert world.db.record("alice", "pay-1") is None
    assert world.gateway.charge_calls == []
    assert scope.tx.rollbacks >= 1
    assert not scope.tx.has_pending_writes

    world.seed_wallet("alice", USD=START)
    reply = await world.pay().execute(_request())
    assert (reply.replayed, reply.response.status_code) == (False, 201)


@pytest.mark.parametrize("provider_id", [RETIRED.id, UUID("018f0000-0000-7000-8000-0000000000ff")])
async def test_unknown_or_inactive_provider_is_refused_before_anything(
    alice: World, provider_id: UUID
) -> None:
    scope = alice.scope()

    with pytest.raises(ProviderNotFound) as caught:
        await alice.pay(scope).execute(_request(provider_id=provider_id))

    assert caught.value.details == {"provider_id": str(provider_id)}
    assert not scope.tx.has_pending_writes
    assert alice.gateway.admitted == 0
    _assert_nothing_happened(alice)


async def test_gateway_unavailable_debits_nothing_and_a_retry_proceeds(alice: World) -> None:
    alice.gateway.unavailable = True
    scope = alice.scope()

    with pytest.raises(GatewayUnavailable) as caught:
        await alice.pay(scope).execute(_request())

    assert caught.value.retry_after_s == 7
    assert scope.tx.rollbacks >= 1
    _assert_nothing_happened(alice)

    alice.gateway.unavailable = False
    reply = await alice.pay().execute(_request())
    assert (reply.replayed, reply.response.status_code) == (False, 201)
    assert alice.db.balance("alice", "USD") == START - AMOUNT


@a_second_request_under_a_held_key
async def test_gateway_unavailable_still_answers_for_a_held_key(
    alice: World, change: dict[str, Any], error: type[Exception]
) -> None:
    alice.gateway.on_charge = _crash
    with pytest.raises(RuntimeError):
        await alice.pay().execute(_request())  # leaves the key IN_PROGRESS
    before = alice.db.committed.copy()
    alice.gateway.unavailable = True
    scope = alice.scope()

    with pytest.raises(error):
        await alice.pay(scope).execute(_request(**change))

    assert alice.db.committed == before
    assert not scope.tx.has_pending_writes


async def test_unavailability_after_the_debit_is_not_a_refusal(alice: World) -> None:
    """Only admission refuses before any write; the same error later must not be taken
    for "nothing debited": the payment stays held for the recovery worker."""

    async def circuit_opens(_: ChargeRequest) -> None:
        raise GatewayUnavailable(retry_after_s=3)

    alice.gateway.on_charge = circuit_opens
    scope = alice.scope()

    with pytest.raises(GatewayUnavailable):
        await alice.pay(scope).execute(_request())

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.PENDING
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert alice.db.refunds_of(payment.id) == []
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert record.state is IdempotencyState.IN_PROGRESS
    assert alice.gateway.in_use == 0
    assert_money_invariants(alice.db)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 25.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 2**63}, "amount"),
        ({"currency": "CHF"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"external_reference": ""}, "external_reference"),
        ({"external_reference": "x" * 129}, "external_reference"),
        ({"external_reference": "bill\r\n42"}, "external_reference"),
        ({"user_id": "al ice"}, "user_id"),
        ({"user_id": ""}, "user_id"),
        ({"idempotency_key": None}, "Idempotency-Key"),
        ({"idempotency_key": ""}, "Idempotency-Key"),
        ({"idempotency_key": "k" * 256}, "Idempotency-Key"),
        ({"idempotency_key": "clé"}, "Idempotency-Key"),
    ],
)
async def test_invalid_input_is_refused_before_any_side_effect(
    alice: World, change: dict[str, Any], field: str
) -> None:
    scope = alice.scope()

    assert await refused_field(scope, alice.pay(scope).execute(_request(**change))) == field
    assert alice.db.committed.idempotency == {}
    assert alice.gateway.admitted == 0
    _assert_nothing_happened(alice)


# --------------------------------------------------------------------------- outcomes

OUTCOMES = [
    # charge, lookup, http, error code, final status, resolution
    (ChargeStatus.DECLINED, None, 402, "PAYMENT_DECLINED", TransactionStatus.DECLINED, None),
    (ChargeStatus.FAILED, None, 502, "GATEWAY_ERROR", TransactionStatus.FAILED, "refunded"),
    # No time left for any attempt: nothing sent, so refunded, and the clock is what failed.
    (ChargeStatus.NOT_SENT, None, 504, "GATEWAY_TIMEOUT", TransactionStatus.FAILED, "refunded"),
    (ChargeStatus.UNKNOWN, LookupStatus.APPROVED, 201, None, TransactionStatus.APPROVED, None),
    (
        ChargeStatus.UNKNOWN,
        LookupStatus.NOT_CHARGED,
        504,
        "GATEWAY_TIMEOUT",
        TransactionStatus.FAILED,
        "refunded",
    ),
    (
        ChargeStatus.UNKNOWN,
        LookupStatus.DECLINED,
        402,
        "PAYMENT_DECLINED",
        TransactionStatus.DECLINED,
        None,
    ),
    (
        ChargeStatus.UNKNOWN,
        LookupStatus.UNKNOWN,
        504,
        "GATEWAY_TIMEOUT",
        TransactionStatus.PENDING,
        "pending",
    ),
]


@pytest.mark.parametrize(
    ("charge", "lookup", "http", "code", "status", "resolution"),
    OUTCOMES,
    ids=lambda v: getattr(v, "value", str(v)),
)
async def test_every_gateway_outcome_settles_and_replies_as_the_spec_says(
    alice: World,
    charge: ChargeStatus,
    lookup: LookupStatus | None,
    http: int,
    code: str | None,
    status: TransactionStatus,
    resolution: str | None,
) -> None:
    alice.gateway.script(charges=[charge], lookups=[lookup] if lookup else [])

    reply = await alice.pay().execute(_request())

    payment = _the_payment(alice)
    assert payment.status is status
    assert reply.response.status_code == http
    if code is None:
        assert body(reply.response)["status"] == status.value
    else:
        error = body(reply.response)["error"]
        assert error["code"] == code
        assert error["details"]["payment_id"] == str(payment.id)
        assert error["details"]["status"] == status.value
        assert error["details"].get("resolution") == resolution
    refunded = status in {TransactionStatus.DECLINED, TransactionStatus.FAILED}
    assert len(alice.db.refunds_of(payment.id)) == (1 if refunded else 0)
    assert alice.db.balance("alice", "USD") == (START if refunded else START - AMOUNT)
    assert alice.gateway.lookup_calls == ([payment.id] if lookup else [])
    assert len(alice.gateway.charge_calls) == 1
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert (record.state, record.response) == (IdempotencyState.COMPLETED, reply.response)
    assert alice.gateway.in_use == 0
    assert_money_invariants(alice.db)


async def test_declined_payment_is_refunded_and_announced(alice: World) -> None:
    alice.gateway.script(charges=[ChargeStatus.DECLINED])

    reply = await alice.pay().execute(_request())

    payment = _the_payment(alice)
    [refund] = alice.db.refunds_of(payment.id)
    assert refund.money == payment.money
    assert body(reply.response)["error"]["details"] == {
        "payment_id": str(payment.id),
        "status": "DECLINED",
    }
    assert alice.db.event_types(payment.id) == [
        "payment.created",
        "refund.created",
        "payment.failed",
    ]
    assert alice.db.events(payment.id)[1].payload["refund_of"] == str(payment.id)
    balance = (await alice.get_balance().execute(GetBalanceRequest(user_id="alice"))).balances
    assert balance == [Balance(currency="USD", available=START, pending=0)]


async def test_unknown_outcome_holds_the_funds_as_pending(alice: World) -> None:
    alice.gateway.script(charges=[ChargeStatus.UNKNOWN], lookups=[LookupStatus.UNKNOWN])

    reply = await alice.pay().execute(_request())

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.PENDING
    assert alice.db.event_types(payment.id) == ["payment.created"]
    assert "held" in body(reply.response)["error"]["message"]
    balance = (await alice.get_balance().execute(GetBalanceRequest(user_id="alice"))).balances
    assert balance == [Balance(currency="USD", available=START - AMOUNT, pending=AMOUNT)]
    assert_money_invariants(alice.db)


async def test_unknown_outcome_is_settled_later_but_the_reply_stays_what_was_said(
    alice: World,
    answered_by: str,
) -> None:
    alice.gateway.script(charges=[ChargeStatus.UNKNOWN], lookups=[LookupStatus.UNKNOWN])
    first = await alice.pay().execute(_request())
    alice.gateway.script(lookups=[LookupStatus.NOT_CHARGED])

    await _stale_resolution(alice)

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.FAILED
    assert alice.db.balance("alice", "USD") == START
    replay = await alice.pay().execute(_request())
    assert replay == Reply(first.response, replayed=True)
    assert_money_invariants(alice.db)


# --------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("gateway_unavailable", [False, True], ids=["gateway-up", "gateway-down"])
@pytest.mark.parametrize("charge", [ChargeStatus.APPROVED, ChargeStatus.DECLINED])
async def test_replay_returns_the_same_bytes_without_a_second_debit_or_charge(
    alice: World, charge: ChargeStatus, gateway_unavailable: bool, answered_by: str
) -> None:
    alice.gateway.script(charges=[charge])
    first = await alice.pay().execute(_request())
    before = alice.db.committed.copy()
    admitted = alice.gateway.admitted
    alice.gateway.unavailable = gateway_unavailable  # a replay never needs the gateway
    scope = alice.scope()

    replay = await alice.pay(scope).execute(_request(deadline=Deadline.after(1)))

    assert replay.replayed
    assert replay.response.status_code == first.response.status_code
    assert replay.response.body == first.response.body
    assert len(alice.gateway.charge_calls) == 1
    assert alice.gateway.in_use == 0
    assert alice.db.committed == before, "no second debit, payment, event or reply"
    assert not scope.tx.has_pending_writes
    # The process that answered it reads the reply and builds no write; another one's
    # opening claims nothing and finds it (or, the gateway refusing, its read does).
    opened = answered_by == ANOTHER_PROCESS and not gateway_unavailable
    assert alice.gateway.admitted == admitted + opened
    assert [o.outcome for o in scope.book.openings] == ([OpenOutcome.HELD] if opened else [])
    assert_money_invariants(alice.db)


async def test_a_replay_in_the_process_that_answered_it_is_one_lookup(alice: World) -> None:
    first = await alice.pay().execute(_request())
    ids_issued = len(alice.ids.issued)
    scope = alice.scope()

    replay = await alice.pay(scope).execute(_request())

    assert replay == Reply(first.response, replayed=True)
    assert isinstance(alice.answered_keys, NotedKeys)
    assert alice.answered_keys.asked == 1
    assert scope.book.openings == []
    assert len(alice.ids.issued) == ids_issued, "no payment or event built"


@pytest.mark.parametrize("refused", [False, True], ids=["paid", "insufficient-funds"])
async def test_a_key_purged_since_it_was_noted_runs_as_a_new_payment(
    alice: World, refused: bool
) -> None:
    amount = START + 1 if refused else AMOUNT
    await alice.pay().execute(_request(amount=amount))
    noted = alice.answered_keys
    assert isinstance(noted, NotedKeys)
    assert ("alice", "pay-1") in noted.keys
    alice.clock.advance(timedelta(days=2))
    scope = alice.scope()
    assert await scope.idempotency.purge_older_than(alice.clock.now(), batch=10) == 1
    await scope.tx.commit()

    again = await alice.pay().execute(_request())

    assert (again.replayed, again.response.status_code) == (False, 201)
    assert noted.forgotten == [("alice", "pay-1")]
    assert ("alice", "pay-1") in noted.keys, "noted again once answered"
    assert len(alice.db.entries(type=TransactionType.PAYMENT)) == 2 - refused
    assert alice.db.balance("alice", "USD") == START - AMOUNT * (2 - refused)
    assert_money_invariants(alice.db)


async def test_a_noted_key_taken_again_elsewhere_after_its_purge_is_in_flight(
    alice: World,
) -> None:
    await alice.pay().execute(_request())
    alice.clock.advance(timedelta(days=2))
    scope = alice.scope()
    assert await scope.idempotency.purge_older_than(alice.clock.now(), batch=10) == 1
    await scope.tx.commit()
    # Another process takes the key for a new payment; this one still has it noted.
    noted, alice.answered_keys = alice.answered_keys, NoHints()
    elsewhere = alice.pay()
    alice.answered_keys = noted
    outcomes: list[BaseException] = []

    async def duplicate(_: ChargeRequest) -> None:
        with pytest.raises(IdempotencyInProgress) as caught:
            await alice.pay().execute(_request())
        outcomes.append(caught.value)

    alice.gateway.on_charge = duplicate
    reply = await elsewhere.execute(_request())

    assert len(outcomes) == 1
    assert (reply.replayed, reply.response.status_code) == (False, 201)
    assert alice.db.balance("alice", "USD") == START - 2 * AMOUNT
    assert_money_invariants(alice.db)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": AMOUNT + 1},
        {"currency": "EUR"},
        {"external_reference": "bill-43"},
        {"provider_id": WATER.id},
    ],
)
async def test_same_key_with_a_different_body_is_a_reuse(
    alice: World, answered_by: str, change: dict[str, Any]
) -> None:
    await alice.pay().execute(_request())
    balance = alice.db.balance("alice", "USD")

    with pytest.raises(IdempotencyKeyReused):
        await alice.pay().execute(_request(**change))

    assert alice.db.balance("alice", "USD") == balance
    assert len(alice.gateway.charge_calls) == 1
    assert len(alice.db.entries(type=TransactionType.PAYMENT)) == 1


async def test_keys_are_scoped_per_user(alice: World) -> None:
    alice.seed_wallet("bob", USD=START)
    await alice.pay().execute(_request())
    assert alice.answered_keys.noted("alice", "pay-1")  # and so not bob's
    reply = await alice.pay().execute(_request(user_id="bob"))
    assert not reply.replayed
    assert alice.db.balance("bob", "USD") == START - AMOUNT


async def test_distinct_keys_are_distinct_payments(alice: World) -> None:
    for key in ("a", "b", "c"):
        await alice.pay().execute(_request(idempotency_key=key))
    assert len(alice.db.entries(type=TransactionType.PAYMENT)) == 3
    assert alice.db.balance("alice", "USD") == START - 3 * AMOUNT
    assert_money_invariants(alice.db)


@a_second_request_under_a_held_key
async def test_a_duplicate_while_the_first_is_in_flight_is_refused(
    alice: World, change: dict[str, Any], error: type[Exception]
) -> None:
    outcomes: list[BaseException] = []

    async def duplicate(_: ChargeRequest) -> None:
        with pytest.raises(error) as caught:
            await alice.pay().execute(_request(**change))
        outcomes.append(caught.value)
        # A key still in flight holds no reply: nothing to answer by a lookup yet.
        assert not alice.answered_keys.noted("alice", "pay-1")

    alice.gateway.on_charge = duplicate
    reply = await alice.pay().execute(_request())

    assert len(outcomes) == 1
    assert alice.answered_keys.noted("alice", "pay-1")
    assert reply.response.status_code == 201
    assert len(alice.gateway.charge_calls) == 1
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert_money_invariants(alice.db)


# --------------------------------------------------------------------------- races, crashes


def _settled_elsewhere_first(alice: World, elsewhere: TransactionStatus) -> None:
    """While the gateway is being charged, the recovery worker settles the payment (with
    the reply its key gets) and commits first."""

    async def recovery_worker_wins(request: ChargeRequest) -> None:
        scope = alice.scope()
        pending = alice.db.committed.ledger[request.payment_id]
        assert await alice.settlement(scope).settle(pending, elsewhere, timed_out=True)
        await scope.tx.commit()

    alice.gateway.on_charge = recovery_worker_wins


def _reported_status(response: StoredResponse) -> str:
    reported = body(response)
    return str(reported.get("status", reported.get("error", {}).get("details", {}).get("status")))


SETTLED_ELSEWHERE = [
    # settled elsewhere as, while the gateway says, the reply its key holds
    (TransactionStatus.APPROVED, ChargeStatus.DECLINED, 201),
    (TransactionStatus.FAILED, ChargeStatus.APPROVED, 504),
    (TransactionStatus.DECLINED, ChargeStatus.FAILED, 402),
]


@pytest.mark.parametrize(("elsewhere", "gateway_says", "stored_http"), SETTLED_ELSEWHERE)
async def test_payment_settled_elsewhere_is_reported_as_it_actually_is(
    alice: World, elsewhere: TransactionStatus, gateway_says: ChargeStatus, stored_http: int
) -> None:
    _settled_elsewhere_first(alice, elsewhere)
    alice.gateway.script(charges=[gateway_says])
    scope = alice.scope()

    reply = await alice.pay(scope).execute(_request())

    payment = _the_payment(alice)
    assert payment.status is elsewhere
    assert _reported_status(reply.response) == elsewhere.value
    refunded = elsewhere is not TransactionStatus.APPROVED
    assert len(alice.db.refunds_of(payment.id)) == (1 if refunded else 0)
    assert alice.db.balance("alice", "USD") == (START if refunded else START - AMOUNT)
    assert (
        alice.db.event_types(payment.id).count("payment.completed")
        + alice.db.event_types(payment.id).count("payment.failed")
        == 1
    )
    assert scope.book.settlements == [], "the request's own settlement wrote nothing"
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert record.state is IdempotencyState.COMPLETED
    assert record.response is not None
    assert record.response.status_code == stored_http
    assert _reported_status(record.response) == elsewhere.value
    assert_money_invariants(alice.db)


@pytest.mark.parametrize(
    ("elsewhere", "gateway_says"),
    [(elsewhere, gateway_says) for elsewhere, gateway_says, _ in SETTLED_ELSEWHERE],
)
async def test_a_request_that_lost_the_settlement_race_replays_what_it_answered(
    alice: World, answered_by: str, elsewhere: TransactionStatus, gateway_says: ChargeStatus
) -> None:
    _settled_elsewhere_first(alice, elsewhere)
    alice.gateway.script(charges=[gateway_says])
    first = await alice.pay().execute(_request())
    alice.gateway.on_charge = None

    replay = await alice.pay().execute(_request())

    assert replay == Reply(first.response, replayed=True)


@pytest.mark.parametrize("crash", [RuntimeError("process killed"), asyncio.CancelledError()])
async def test_a_crash_after_the_debit_leaves_the_payment_pending_not_refunded(
    alice: World, crash: BaseException
) -> None:
    async def die(_: ChargeRequest) -> None:
        raise crash

    alice.gateway.on_charge = die
    scope = alice.scope()

    with pytest.raises(type(crash)):
        await alice.pay(scope).execute(_request())

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.PENDING
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert alice.db.refunds_of(payment.id) == []
    assert alice.db.event_types(payment.id) == ["payment.created"]
    assert alice.gateway.in_use == 0
    assert scope.tx.rollbacks >= 1
    record = alice.db.record("alice", "pay-1")
    assert record is not None
    assert record.state is IdempotencyState.IN_PROGRESS
    with pytest.raises(IdempotencyInProgress):
        await alice.pay().execute(_request())
    assert_money_invariants(alice.db)


async def test_a_failed_lookup_leaves_the_payment_pending(alice: World) -> None:
    alice.gateway.script(charges=[ChargeStatus.UNKNOWN])  # the lookup is not scripted: raises

    with pytest.raises(AssertionError, match="unscripted gateway lookup"):
        await alice.pay().execute(_request())

    assert _the_payment(alice).status is TransactionStatus.PENDING
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert_money_invariants(alice.db)


async def test_a_failed_second_commit_leaves_the_payment_pending_for_recovery(
    alice: World,
) -> None:
    scope = alice.scope()

    async def break_the_database(_: ChargeRequest) -> None:
        scope.tx.fail_next_commit = ConnectionError("db went away")

    alice.gateway.on_charge = break_the_database
    alice.gateway.script(charges=[ChargeStatus.DECLINED])

    with pytest.raises(ConnectionError):
        await alice.pay(scope).execute(_request())

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.PENDING
    assert alice.db.refunds_of(payment.id) == []
    assert alice.db.event_types(payment.id) == ["payment.created"]
    assert alice.db.balance("alice", "USD") == START - AMOUNT
    assert_money_invariants(alice.db)


async def test_a_crashed_payment_is_resolved_and_its_key_gets_the_final_reply(
    alice: World,
    answered_by: str,
) -> None:
    async def die(_: ChargeRequest) -> None:
        raise RuntimeError("process killed")

    alice.gateway.on_charge = die
    with pytest.raises(RuntimeError):
        await alice.pay().execute(_request())
    alice.gateway.on_charge = None
    alice.gateway.script(lookups=[LookupStatus.NOT_CHARGED])

    await _stale_resolution(alice)

    payment = _the_payment(alice)
    assert payment.status is TransactionStatus.FAILED
    assert len(alice.db.refunds_of(payment.id)) == 1
    assert alice.db.balance("alice", "USD") == START
    replay = await alice.pay().execute(_request())
    assert replay.replayed
    assert replay.response.status_code == 504
    assert body(replay.response)["error"]["details"] == {
        "payment_id": str(payment.id),
        "status": "FAILED",
        "resolution": "refunded",
    }
    # The worker noted nothing: that replay found the reply by the opening, and noted it.
    assert await alice.pay().execute(_request()) == replay
    assert_money_invariants(alice.db)


# --------------------------------------------------------------------------- replays


async def test_replay_after_the_provider_is_deactivated_returns_the_original_reply(
    alice: World,
    answered_by: str,
) -> None:
    first = await alice.pay().execute(_request())
    alice.db.providers[PROVIDER.id] = replace(PROVIDER, active=False)

    replay = await alice.pay().execute(_request())

    assert replay == Reply(first.response, replayed=True)


# --------------------------------------------------------------------------- wiring


async def test_a_pay_wired_unconditional_refuses_if_match_before_any_side_effect(
    alice: World,
) -> None:
    pay = alice.build(Pay, precondition=Unconditional())
    condition = WalletCondition(frozenset({1}))

    with pytest.raises(RuntimeError, match="If-Match"):
        await pay.execute(_request(if_match=condition))

    _assert_nothing_happened(alice)
    assert (await pay.execute(_request())).response.status_code == 201
