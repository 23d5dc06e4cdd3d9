"""Disputes with the fakes: opening (filed, refused, unanswered, not allowed), the
client's moves and the provider's updates, WON crediting the payment once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import (
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    IdempotencyInProgress,
    InvalidState,
    NotFound,
)
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.idempotency import IdempotencyState
from wallet_domain.model.provider_event import (
    DisputeUpdated,
    PaymentRefunded,
    ProviderDisputeStatus,
    ProviderEventOutcome,
)
from wallet_domain.model.transaction import TransactionType
from wallet_domain.ports.payment_gateway import (
    ChargeStatus,
    DisputeFiling,
    FilingStatus,
    WithdrawalStatus,
)
from wallet_domain.use_cases.add_dispute_evidence import AddDisputeEvidenceRequest
from wallet_domain.use_cases.cancel_dispute import CancelDisputeRequest
from wallet_domain.use_cases.open_dispute import OpenDisputeRequest
from wallet_domain.use_cases.settle_stranded_filings import SettleStrandedFilingsRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import ProviderEventWorld, World, bill_payment

AMOUNT = 300
Outcome = ProviderEventOutcome


async def _payment(world: World, charge: ChargeStatus = ChargeStatus.APPROVED) -> UUID:
    world.seed_wallet("alice", USD=1_000)
    world.gateway.script(charges=[charge])
    reply = await world.pay().execute(bill_payment(f"pay-{uuid4()}", AMOUNT))
    payment_id = (
        body(reply.response).get("id") or body(reply.response)["error"]["details"]["payment_id"]
    )
    return UUID(payment_id)


def _request(payment_id: UUID, **overrides: Any) -> OpenDisputeRequest:
    fields: dict[str, Any] = {
        "user_id": "alice",
        "payment_id": payment_id,
        "idempotency_key": "disp-1",
        "reason": "not delivered",
        "evidence": ["receipt"],
        "deadline": Deadline.after(30),
    }
    return OpenDisputeRequest(**{**fields, **overrides})


async def _opened(world: World) -> UUID:
    reply = await world.open_dispute().execute(_request(await _payment(world)))
    assert reply.response.status_code == 201, reply
    return UUID(body(reply.response)["id"])


def _update(dispute_id: UUID, status: ProviderDisputeStatus) -> DisputeUpdated:
    return DisputeUpdated(
        provider_event_id=f"evt-{uuid4()}",
        created_at=datetime(2026, 12, 6, tzinfo=UTC),
        dispute_id=dispute_id,
        status=status,
    )


async def _apply(world: World, dispute_id: UUID, status: ProviderDisputeStatus) -> Outcome:
    scope = world.scope()
    outcome = await world.apply_dispute_update(scope).apply(_update(dispute_id, status))
    await scope.tx.commit()
    return outcome


async def test_a_filed_dispute_is_open_with_its_event_and_the_provider_has_it(
    world: World,
) -> None:
    dispute_id = await _opened(world)
    dispute = world.db.committed.disputes[dispute_id]
    assert (dispute.status, dispute.money.amount, dispute.evidence) == (
        DisputeStatus.OPEN,
        AMOUNT,
        ("receipt",),
    )
    assert world.db.event_types(dispute_id) == ["dispute.opened"]
    [filing] = world.gateway.filings
    assert (filing.dispute_id, filing.money.amount) == (dispute_id, AMOUNT)


async def test_a_replay_answers_the_first_reply_without_filing_again(world: World) -> None:
    payment_id = await _payment(world)
    first = await world.open_dispute().execute(_request(payment_id))
    again = await world.open_dispute().execute(_request(payment_id))
    assert (again.replayed, again.response) == (True, first.response)
    assert len(world.gateway.filings) == 1


@pytest.mark.parametrize(
    ("filing", "status", "code"),
    [
        (FilingStatus.FAILED, 502, "GATEWAY_ERROR"),  # the provider's own refusal
        # Nothing reached the provider: safe to cancel, and the deadline is the reason
        # (GATEWAY_TIMEOUT), not a refusal.
        (FilingStatus.NOT_SENT, 504, "GATEWAY_TIMEOUT"),
    ],
)
async def test_a_dispute_not_filed_is_canceled_and_its_error_stored(
    world: World, filing: FilingStatus, status: int, code: str
) -> None:
    payment_id = await _payment(world)
    world.gateway.filing_status = filing
    reply = await world.open_dispute().execute(_request(payment_id))
    error = body(reply.response)["error"]
    assert (reply.response.status_code, error["code"]) == (status, code)
    dispute = world.db.committed.disputes[UUID(error["details"]["dispute_id"])]
    assert dispute.status is DisputeStatus.CANCELED
    assert world.db.record("alice", "disp-1").response == reply.response  # type: ignore[union-attr]
    assert not _in_progress(world, "disp-1")


STRANDED_AFTER = SettleStrandedFilingsRequest(
    older_than=timedelta(seconds=60),
    batch=10,
    lookup_timeout_s=2.0,
    recheck_base=timedelta(seconds=30),
    recheck_max=timedelta(seconds=300),
)


def _in_progress(world: World, key: str) -> bool:
    record = world.db.record("alice", key)
    assert record is not None
    return record.state is IdempotencyState.IN_PROGRESS


async def _sweep(world: World) -> tuple[int, int]:
    """One recovery round past the window: (answered, still unknown)."""
    world.clock.advance(timedelta(seconds=61))
    report = await world.settle_stranded_filings().execute(STRANDED_AFTER)
    return report.answered, report.still_unknown


async def test_a_filing_without_an_answer_stays_open_until_filed_again_then_answers(
    world: World,
) -> None:
    """The provider may have it and go on to decide it: never canceled on a silence."""
    payment_id = await _payment(world)
    world.gateway.filing_status = FilingStatus.UNKNOWN
    with pytest.raises(GatewayTimeout) as timed_out:
        await world.open_dispute().execute(_request(payment_id))
    dispute_id = UUID(timed_out.value.details["dispute_id"])
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN
    assert _in_progress(world, "disp-1")
    with pytest.raises(IdempotencyInProgress):
        await world.open_dispute().execute(_request(payment_id))

    assert await _sweep(world) == (0, 1)  # still no answer: asked again next round
    assert _in_progress(world, "disp-1")
    world.gateway.filing_status = FilingStatus.FILED
    assert await _sweep(world) == (1, 0)

    replay = await world.open_dispute().execute(_request(payment_id))
    assert (replay.replayed, replay.response.status_code) == (True, 201)
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN
    assert [f.dispute_id for f in world.gateway.filings] == [dispute_id] * 3  # one id


async def _stranded(world: World, key: str) -> UUID:
    """A dispute whose request died at the provider: OPEN, its key IN_PROGRESS."""
    before = set(world.db.committed.disputes)
    world.gateway.filing_crash = RuntimeError("the process stopped")
    with pytest.raises(RuntimeError):
        await world.open_dispute().execute(_request(await _payment(world), idempotency_key=key))
    world.gateway.filing_crash = None
    [dispute_id] = set(world.db.committed.disputes) - before
    assert _in_progress(world, key)
    return dispute_id


@pytest.mark.parametrize(
    ("provider", "refiled", "status", "code", "dispute_status"),
    [
        ("has it", False, 201, None, DisputeStatus.OPEN),
        ("files it now", True, 201, None, DisputeStatus.OPEN),
        ("refuses it now", True, 502, "GATEWAY_ERROR", DisputeStatus.CANCELED),
    ],
)
async def test_a_filing_whose_request_died_is_finished_with_the_provider_once_past_the_window(
    world: World,
    provider: str,
    refiled: bool,
    status: int,
    code: str | None,
    dispute_status: DisputeStatus,
) -> None:
    dispute_id = await _stranded(world, "disp-lost")
    filed = await _opened(world)  # answered by its own request: never touched
    if provider == "has it":
        world.gateway.disputes_held.add(dispute_id)  # it got the filing before the crash
    world.gateway.filing_status = (
        FilingStatus.FAILED if provider == "refuses it now" else FilingStatus.FILED
    )
    filings = len(world.gateway.filings)

    young = await world.settle_stranded_filings().execute(STRANDED_AFTER)
    assert young.answered == 0
    assert await _sweep(world) == (1, 0)
    assert await _sweep(world) == (0, 0)  # once

    assert len(world.gateway.filings) == filings + refiled
    assert world.db.committed.disputes[dispute_id].status is dispute_status
    assert world.db.committed.disputes[filed].status is DisputeStatus.OPEN
    payment_id = world.db.committed.disputes[dispute_id].payment_id
    replay = await world.open_dispute().execute(_request(payment_id, idempotency_key="disp-lost"))
    assert (replay.replayed, replay.response.status_code) == (True, status)
    if code is not None:
        assert body(replay.response)["error"]["code"] == code


async def test_filings_the_provider_never_answers_do_not_keep_the_worker_from_younger_ones(
    world: World,
) -> None:
    """Asked again only after a doubling delay; the never asked come first."""
    silent = await _stranded(world, "disp-old")
    world.gateway.silent_disputes.add(silent)
    world.clock.advance(timedelta(seconds=1))
    await _stranded(world, "disp-young")
    one_at_a_time = replace(STRANDED_AFTER, batch=1)
    world.clock.advance(timedelta(seconds=61))

    first = await world.settle_stranded_filings().execute(one_at_a_time)  # the oldest
    second = await world.settle_stranded_filings().execute(one_at_a_time)  # not it again

    assert (first.still_unknown, second.answered) == (1, 1)
    assert not _in_progress(world, "disp-young")
    assert _in_progress(world, "disp-old")
    world.clock.advance(timedelta(seconds=29))  # the first delay (30 s) is not over
    assert (await world.settle_stranded_filings().execute(one_at_a_time)).still_unknown == 0
    world.clock.advance(timedelta(seconds=2))
    assert (await world.settle_stranded_filings().execute(one_at_a_time)).still_unknown == 1
    world.clock.advance(timedelta(seconds=31))  # the second delay doubled to 60 s
    assert (await world.settle_stranded_filings().execute(one_at_a_time)).still_unknown == 0


async def test_a_stranded_filing_no_longer_open_is_answered_with_its_state_not_filed_again(
    world: World,
) -> None:
    dispute_id = await _stranded(world, "disp-lost")
    await _apply(world, dispute_id, ProviderDisputeStatus.UNDER_REVIEW)
    filings = len(world.gateway.filings)

    assert await _sweep(world) == (1, 0)

    record = world.db.record("alice", "disp-lost")
    assert record is not None
    assert record.response is not None
    assert record.response.status_code == 201
    assert body(record.response)["status"] == world.db.committed.disputes[dispute_id].status
    assert len(world.gateway.filings) == filings


async def test_only_an_approved_payment_can_be_disputed_and_the_key_stays_unused(
    world: World,
) -> None:
    declined = await _payment(world, ChargeStatus.DECLINED)
    with pytest.raises(InvalidState) as refused:
        await world.open_dispute().execute(_request(declined))
    assert refused.value.details == {"status": "DECLINED"}
    with pytest.raises(NotFound):
        await world.open_dispute().execute(_request(uuid4()))
    assert world.db.record("alice", "disp-1") is None
    assert world.db.committed.disputes == {}


async def test_a_second_open_dispute_on_a_payment_is_refused(world: World) -> None:
    payment_id = await _payment(world)
    await world.open_dispute().execute(_request(payment_id))
    with pytest.raises(InvalidState):
        await world.open_dispute().execute(_request(payment_id, idempotency_key="disp-2"))


async def test_an_unavailable_gateway_writes_nothing(world: World) -> None:
    payment_id = await _payment(world)
    world.gateway.unavailable = True
    with pytest.raises(GatewayUnavailable):
        await world.open_dispute().execute(_request(payment_id))
    assert (world.db.committed.disputes, world.db.record("alice", "disp-1")) == ({}, None)


async def test_won_credits_the_payment_once_and_lost_or_closed_nothing(world: World) -> None:
    dispute_id = await _opened(world)
    for status in (ProviderDisputeStatus.UNDER_REVIEW, ProviderDisputeStatus.SUBMITTED):
        assert await _apply(world, dispute_id, status) is Outcome.APPLIED
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.APPLIED
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.ALREADY_SETTLED
    assert await _apply(world, dispute_id, ProviderDisputeStatus.LOST) is Outcome.REFUSED
    assert world.db.balance("alice", "USD") == 1_000
    credits = world.db.entries(user_id="alice", type=TransactionType.CHARGEBACK)
    assert [(e.money.amount, e.dispute_id) for e in credits] == [(AMOUNT, dispute_id)]
    assert world.db.event_types(dispute_id)[-1] == "dispute.won"
    assert_money_invariants(world.db)


async def test_updates_out_of_order_reach_the_providers_status_through_the_steps_before_it(
    world: World,
) -> None:
    # The provider retries each webhook on its own: `won` may arrive before `submitted`.
    dispute_id = await _opened(world)
    assert await _apply(world, dispute_id, ProviderDisputeStatus.SUBMITTED) is Outcome.APPLIED
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.SUBMITTED
    late = await _apply(world, dispute_id, ProviderDisputeStatus.UNDER_REVIEW)
    assert late is Outcome.ALREADY_SETTLED
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.APPLIED
    for status in (ProviderDisputeStatus.UNDER_REVIEW, ProviderDisputeStatus.SUBMITTED):
        assert await _apply(world, dispute_id, status) is Outcome.ALREADY_SETTLED
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.WON
    assert world.db.event_types(dispute_id) == [
        "dispute.opened",
        "dispute.updated",
        "dispute.updated",
        "dispute.won",
    ]
    assert world.db.balance("alice", "USD") == 1_000
    assert_money_invariants(world.db)


async def test_a_decision_reported_first_is_reached_from_open_and_credited_once(
    world: World,
) -> None:
    dispute_id = await _opened(world)
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.APPLIED
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.ALREADY_SETTLED
    assert world.db.event_types(dispute_id)[1:] == [
        "dispute.updated",
        "dispute.updated",
        "dispute.won",
    ]
    credits = world.db.entries(user_id="alice", type=TransactionType.CHARGEBACK)
    assert [(e.money.amount, e.dispute_id) for e in credits] == [(AMOUNT, dispute_id)]
    assert _won_event(world, dispute_id)["credited"] == AMOUNT
    assert_money_invariants(world.db)


async def test_an_update_for_an_unknown_or_canceled_dispute_changes_nothing(
    world: World,
) -> None:
    assert await _apply(world, uuid4(), ProviderDisputeStatus.WON) is Outcome.UNKNOWN_TARGET
    dispute_id = await _opened(world)
    await world.cancel_dispute().execute(_cancel(dispute_id, owner=None))
    for status in (ProviderDisputeStatus.UNDER_REVIEW, ProviderDisputeStatus.WON):
        assert await _apply(world, dispute_id, status) is Outcome.REFUSED
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.CANCELED
    assert world.db.entries(user_id="alice", type=TransactionType.CHARGEBACK) == []


def _evidence(
    dispute_id: UUID, texts: list[str], owner: str | None = "alice"
) -> AddDisputeEvidenceRequest:
    return AddDisputeEvidenceRequest(dispute_id=dispute_id, owner=owner, evidence=texts)


def _cancel(dispute_id: UUID, owner: str | None = "alice") -> CancelDisputeRequest:
    return CancelDisputeRequest(dispute_id=dispute_id, owner=owner, deadline=Deadline.after(30))


async def test_the_client_adds_evidence_and_cancels_only_its_own_open_dispute(
    world: World,
) -> None:
    dispute_id = await _opened(world)
    with pytest.raises(NotFound):
        await world.add_dispute_evidence().execute(_evidence(dispute_id, ["x"], owner="mallory"))
    with pytest.raises(NotFound):
        await world.cancel_dispute().execute(_cancel(dispute_id, owner="mallory"))
    added = await world.add_dispute_evidence().execute(_evidence(dispute_id, ["photo"]))
    assert added.evidence == ("receipt", "photo")
    await _apply(world, dispute_id, ProviderDisputeStatus.UNDER_REVIEW)
    await _apply(world, dispute_id, ProviderDisputeStatus.SUBMITTED)
    with pytest.raises(InvalidState):
        await world.cancel_dispute().execute(_cancel(dispute_id))
    assert world.gateway.withdrawals == []  # refused here first: the provider not asked
    assert world.db.event_types(dispute_id) == [
        "dispute.opened",
        "dispute.updated",
        "dispute.updated",
    ]


@pytest.mark.parametrize("provider", [WithdrawalStatus.WITHDRAWN, WithdrawalStatus.NOT_FILED])
async def test_a_cancel_the_provider_withdrew_or_never_had_cancels_the_dispute(
    world: World, provider: WithdrawalStatus
) -> None:
    dispute_id = await _opened(world)
    world.gateway.withdrawal = provider

    canceled = await world.cancel_dispute().execute(_cancel(dispute_id))

    assert canceled.status is DisputeStatus.CANCELED
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.CANCELED
    assert world.gateway.withdrawals == [dispute_id]
    assert world.db.event_types(dispute_id) == ["dispute.opened", "dispute.updated"]


@pytest.mark.parametrize(
    ("provider", "error"),
    [
        (WithdrawalStatus.DECIDED, InvalidState),
        (WithdrawalStatus.FAILED, GatewayError),
        (WithdrawalStatus.UNKNOWN, GatewayTimeout),
    ],
)
async def test_a_cancel_the_provider_did_not_withdraw_leaves_the_dispute_unchanged(
    world: World, provider: WithdrawalStatus, error: type[Exception]
) -> None:
    """Canceled here but not there, the provider could still decide it: its `won` would
    then be refused here and the chargeback never credited."""
    dispute_id = await _opened(world)
    await _apply(world, dispute_id, ProviderDisputeStatus.UNDER_REVIEW)
    world.gateway.withdrawal = provider

    with pytest.raises(error) as refused:
        await world.cancel_dispute().execute(_cancel(dispute_id))

    if provider is WithdrawalStatus.DECIDED:
        assert refused.value.details == {"status": "UNDER_REVIEW"}  # type: ignore[attr-defined]
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.UNDER_REVIEW
    assert world.db.event_types(dispute_id) == ["dispute.opened", "dispute.updated"]
    world.gateway.withdrawal = WithdrawalStatus.WITHDRAWN  # sent again: withdrawn by now
    assert (await world.cancel_dispute().execute(_cancel(dispute_id))).status is (
        DisputeStatus.CANCELED
    )


async def test_a_dispute_still_being_filed_cannot_be_canceled_yet(world: World) -> None:
    """The provider may be about to get the filing: a withdrawal now could find nothing,
    and the filing arriving after it would leave the provider a dispute canceled here."""
    dispute_id = await _stranded(world, "disp-lost")

    with pytest.raises(InvalidState) as refused:
        await world.cancel_dispute().execute(_cancel(dispute_id))

    assert refused.value.details == {"status": "OPEN"}
    assert world.gateway.withdrawals == []
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN
    assert await _sweep(world) == (1, 0)  # filed again and answered: now it can be
    assert (await world.cancel_dispute().execute(_cancel(dispute_id))).status is (
        DisputeStatus.CANCELED
    )


async def test_a_cancel_refused_at_once_by_the_gateway_touches_nothing(world: World) -> None:
    dispute_id = await _opened(world)
    world.gateway.unavailable = True

    with pytest.raises(GatewayUnavailable):
        await world.cancel_dispute().execute(_cancel(dispute_id))

    assert world.gateway.withdrawals == []
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN


def _won_event(world: World, dispute_id: UUID) -> dict[str, Any]:
    [won] = [e for e in world.db.events(dispute_id) if e.event_type.value == "dispute.won"]
    return dict(won.payload)


async def _won(world: World, dispute_id: UUID) -> None:
    assert await _apply(world, dispute_id, ProviderDisputeStatus.WON) is Outcome.APPLIED


def _given_back(world: World) -> list[tuple[TransactionType, int]]:
    kinds = (TransactionType.PROVIDER_REFUND, TransactionType.CHARGEBACK)
    return [(e.type, e.money.amount) for e in world.db.entries(user_id="alice") if e.type in kinds]


async def _provider_refund(world: World, payment_id: UUID, amount: int) -> Outcome:
    return (
        await ProviderEventWorld(world)
        .apply()
        .execute(
            PaymentRefunded(
                provider_event_id=f"evt-{uuid4()}",
                created_at=datetime(2026, 12, 6, tzinfo=UTC),
                payment_id=payment_id,
                amount=amount,
            )
        )
    )


async def test_a_payment_charged_back_once_cannot_be_disputed_or_refunded_again(
    world: World,
) -> None:
    payment_id = await _payment(world)
    first = await world.open_dispute().execute(_request(payment_id, idempotency_key="d-1"))
    await _won(world, UUID(body(first.response)["id"]))

    with pytest.raises(InvalidState) as refused:
        await world.open_dispute().execute(_request(payment_id, idempotency_key="d-2"))
    assert refused.value.details == {"status": "APPROVED"}
    assert world.db.record("alice", "d-2") is None  # refused before anything was written
    assert await _provider_refund(world, payment_id, 1) is Outcome.REFUSED
    assert _given_back(world) == [(TransactionType.CHARGEBACK, AMOUNT)]
    assert world.db.balance("alice", "USD") == 1_000
    assert_money_invariants(world.db)


async def test_a_payment_refunded_in_full_cannot_be_disputed(world: World) -> None:
    payment_id = await _payment(world)
    assert await _provider_refund(world, payment_id, AMOUNT) is Outcome.APPLIED
    with pytest.raises(InvalidState):
        await world.open_dispute().execute(_request(payment_id))
    assert world.db.committed.disputes == {}
    assert world.db.balance("alice", "USD") == 1_000


async def test_a_won_dispute_credits_only_what_refunds_left_of_the_payment(
    world: World,
) -> None:
    payment_id = await _payment(world)
    assert await _provider_refund(world, payment_id, 100) is Outcome.APPLIED
    dispute_id = UUID(
        body((await world.open_dispute().execute(_request(payment_id))).response)["id"]
    )
    # A refund while the dispute runs: the chargeback gets what is left after it.
    assert await _provider_refund(world, payment_id, 50) is Outcome.APPLIED
    await _won(world, dispute_id)

    assert _given_back(world) == [
        (TransactionType.PROVIDER_REFUND, 100),
        (TransactionType.PROVIDER_REFUND, 50),
        (TransactionType.CHARGEBACK, AMOUNT - 150),
    ]
    assert _won_event(world, dispute_id)["credited"] == AMOUNT - 150
    assert world.db.balance("alice", "USD") == 1_000
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.WON
    assert_money_invariants(world.db)


async def test_a_dispute_won_after_a_full_refund_credits_nothing(world: World) -> None:
    payment_id = await _payment(world)
    dispute_id = UUID(
        body((await world.open_dispute().execute(_request(payment_id))).response)["id"]
    )
    assert await _provider_refund(world, payment_id, AMOUNT) is Outcome.APPLIED
    await _won(world, dispute_id)

    assert _given_back(world) == [(TransactionType.PROVIDER_REFUND, AMOUNT)]
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.WON
    assert _won_event(world, dispute_id)["credited"] == 0
    assert world.db.balance("alice", "USD") == 1_000
    assert_money_invariants(world.db)


async def test_a_round_stops_at_the_first_filing_the_provider_does_not_answer_about(
    world: World,
) -> None:
    """Each failed call counts against the breaker that guards payments."""
    silent = [await _stranded(world, f"disp-{n}") for n in range(3)]
    world.gateway.silent_disputes.update(silent)
    world.clock.advance(timedelta(seconds=61))

    report = await world.settle_stranded_filings().execute(STRANDED_AFTER)

    assert (report.answered, report.still_unknown) == (0, 1)
    assert world.gateway.dispute_lookups == silent[:1]


async def test_a_late_second_transaction_keeps_what_the_recovery_worker_answered(
    world: World,
) -> None:
    """The request ran past the recovery window (its first transaction or a pool wait was
    slow; the deadline bounds only the gateway call): the worker found the provider has
    the dispute and stored 201. The request's own, older answer (FAILED: nothing sent in
    time) must not cancel it: the provider may still rule WON."""
    payment_id = await _payment(world)
    gateway = world.gateway
    provider_answer = gateway.file_dispute

    async def late_filing(filing: DisputeFiling, deadline: Deadline) -> FilingStatus:
        gateway.file_dispute = provider_answer  # type: ignore[method-assign]
        gateway.disputes_held.add(filing.dispute_id)  # the worker's own filing got there
        assert await _sweep(world) == (1, 0)
        return FilingStatus.FAILED

    gateway.file_dispute = late_filing  # type: ignore[method-assign]
    reply = await world.open_dispute().execute(_request(payment_id))

    dispute_id = UUID(body(reply.response)["id"])
    assert (reply.response.status_code, body(reply.response)["status"]) == (201, "OPEN")
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN


async def test_a_stranded_filing_is_filed_again_even_while_the_providers_lookup_fails(
    world: World,
) -> None:
    """A provider whose dispute lookup fails (or that offers none) still gets the filing,
    idempotent on the dispute id: the key is answered, the dispute never canceled."""
    dispute_id = await _stranded(world, "disp-lost")
    world.gateway.filings.clear()
    world.gateway.dispute_lookup = FilingStatus.UNKNOWN

    world.gateway.filing_status = FilingStatus.FAILED  # it may still have it: not canceled
    assert await _sweep(world) == (0, 1)
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN
    world.gateway.filing_status = FilingStatus.FILED
    world.clock.advance(timedelta(seconds=30))
    assert await _sweep(world) == (1, 0)

    assert [f.dispute_id for f in world.gateway.filings] == [dispute_id] * 2
    assert not _in_progress(world, "disp-lost")
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.OPEN


async def test_a_provider_that_keeps_failing_the_filing_and_has_none_is_taken_at_its_word(
    world: World,
) -> None:
    """Filings answered 5xx (no answer: it may have recorded them) are sent again; after
    `give_up_after` rounds with the lookup still saying "not found", the dispute is
    canceled (502) without sending another."""
    dispute_id = await _stranded(world, "disp-lost")
    world.gateway.filing_status = FilingStatus.UNKNOWN  # 5xx through every retry
    rounds = replace(STRANDED_AFTER, give_up_after=2)
    filings = len(world.gateway.filings)

    for _ in range(2):
        world.clock.advance(timedelta(seconds=301))
        assert (await world.settle_stranded_filings().execute(rounds)).still_unknown == 1
    world.clock.advance(timedelta(seconds=301))
    assert (await world.settle_stranded_filings().execute(rounds)).answered == 1

    assert len(world.gateway.filings) == filings + 2  # none sent in the last round
    assert world.db.committed.disputes[dispute_id].status is DisputeStatus.CANCELED
    record = world.db.record("alice", "disp-lost")
    assert record is not None
    assert record.response is not None
    assert body(record.response)["error"]["code"] == "GATEWAY_ERROR"
