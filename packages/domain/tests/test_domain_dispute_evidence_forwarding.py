"""Evidence a client adds after filing reaches the provider (`ForwardDisputeEvidence`), with
the fakes: what is sent, what is recorded, and when a dispute is sent again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayTimeout
from wallet_domain.model.dispute import DisputeStatus
from wallet_domain.model.transaction import TransactionType
from wallet_domain.ports.payment_gateway import ChargeStatus, EvidenceStatus, FilingStatus
from wallet_domain.use_cases.add_dispute_evidence import AddDisputeEvidenceRequest
from wallet_domain.use_cases.forward_dispute_evidence import (
    ForwardEvidenceReport,
    ForwardEvidenceRequest,
)
from wallet_domain.use_cases.open_dispute import OpenDisputeRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.world import World, bill_payment

from .test_domain_disputes import STRANDED_AFTER

ROUND = ForwardEvidenceRequest(
    batch=10,
    timeout_s=2.0,
    lease=timedelta(seconds=60),
    retry_after=timedelta(seconds=30),
    refused_retry_after=timedelta(seconds=300),
)


async def _filed(world: World, evidence: list[str] | None = None, key: str = "disp-1") -> UUID:
    """An APPROVED payment of alice's, disputed and filed; the dispute id."""
    world.seed_wallet("alice", USD=1_000)
    world.gateway.script(charges=[ChargeStatus.APPROVED])
    paid = await world.pay().execute(bill_payment(f"pay-{uuid4()}", 300))
    request = OpenDisputeRequest(
        user_id="alice",
        payment_id=UUID(body(paid.response)["id"]),
        idempotency_key=key,
        reason="not delivered",
        evidence=evidence,
        deadline=Deadline.after(30),
    )
    reply = await world.open_dispute().execute(request)
    assert reply.response.status_code == 201, reply
    return UUID(body(reply.response)["id"])


async def _add(world: World, dispute_id: UUID, *texts: str) -> None:
    request = AddDisputeEvidenceRequest(dispute_id=dispute_id, owner="alice", evidence=[*texts])
    await world.add_dispute_evidence().execute(request)


async def _round(world: World, request: ForwardEvidenceRequest = ROUND) -> ForwardEvidenceReport:
    return await world.forward_dispute_evidence().execute(request)


def _forwarded(world: World, dispute_id: UUID) -> int:
    return world.db.committed.disputes[dispute_id].evidence_forwarded


async def test_the_evidence_a_filing_carried_counts_as_held_and_is_not_sent_again(
    world: World,
) -> None:
    dispute_id = await _filed(world, ["receipt", "photo"])

    assert _forwarded(world, dispute_id) == 2
    assert await _round(world) == ForwardEvidenceReport()
    assert world.gateway.evidence_calls == []


async def test_evidence_added_after_filing_is_sent_in_full_and_counted_once_held(
    world: World,
) -> None:
    dispute_id = await _filed(world, ["receipt"])
    await _add(world, dispute_id, "photo", "letter")
    assert _forwarded(world, dispute_id) == 1

    assert await _round(world) == ForwardEvidenceReport(forwarded=1)

    assert world.gateway.evidence_calls == [(dispute_id, ("receipt", "photo", "letter"))]
    assert _forwarded(world, dispute_id) == 3
    assert await _round(world) == ForwardEvidenceReport()  # nothing left to send
    assert len(world.gateway.evidence_calls) == 1


async def test_a_refiled_dispute_counts_nothing_held_so_its_evidence_is_sent_in_full(
    world: World,
) -> None:
    """The recovery worker's filing may find the provider kept an earlier filing's texts:
    it says nothing of what it holds, and the worker sends them all (it adds what it lacks)."""
    world.gateway.filing_status = FilingStatus.UNKNOWN
    world.seed_wallet("alice", USD=1_000)
    world.gateway.script(charges=[ChargeStatus.APPROVED])
    paid = await world.pay().execute(bill_payment("pay-stranded", 300))
    with pytest.raises(GatewayTimeout) as timed_out:
        await world.open_dispute().execute(
            OpenDisputeRequest(
                user_id="alice",
                payment_id=UUID(body(paid.response)["id"]),
                idempotency_key="disp-1",
                reason="not delivered",
                evidence=["receipt"],
                deadline=Deadline.after(30),
            )
        )
    dispute_id = UUID(timed_out.value.details["dispute_id"])
    world.gateway.filing_status = FilingStatus.FILED
    world.clock.advance(timedelta(seconds=61))
    assert (await world.settle_stranded_filings().execute(STRANDED_AFTER)).answered == 1
    assert _forwarded(world, dispute_id) == 0

    assert await _round(world) == ForwardEvidenceReport(forwarded=1)
    assert world.gateway.evidence_calls == [(dispute_id, ("receipt",))]
    assert _forwarded(world, dispute_id) == 1


async def test_a_dispute_still_being_filed_is_not_sent_evidence(world: World) -> None:
    """Its filing has not answered: the provider may not have it yet."""
    world.gateway.filing_status = FilingStatus.UNKNOWN
    with pytest.raises(GatewayTimeout) as timed_out:
        await _filed(world)
    dispute_id = UUID(timed_out.value.details["dispute_id"])
    await _add(world, dispute_id, "photo")

    assert await _round(world) == ForwardEvidenceReport()
    assert world.gateway.evidence_calls == []


@pytest.mark.parametrize("status", [DisputeStatus.CANCELED, DisputeStatus.SUBMITTED])
async def test_a_dispute_past_where_evidence_is_taken_is_not_sent_it(
    world: World, status: DisputeStatus
) -> None:
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    disputes = world.db.committed.disputes
    disputes[dispute_id] = replace(disputes[dispute_id], status=status)

    assert await _round(world) == ForwardEvidenceReport()
    assert world.gateway.evidence_calls == []


async def test_a_refused_dispute_is_sent_again_only_after_the_refusal_delay(world: World) -> None:
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    world.gateway.evidence_answer = EvidenceStatus.REFUSED

    refused = await _round(world)
    assert refused == ForwardEvidenceReport(refused=1)
    assert refused.not_taken == (dispute_id,)  # logged by id
    assert _forwarded(world, dispute_id) == 0
    world.clock.advance(timedelta(seconds=299))
    assert await _round(world) == ForwardEvidenceReport()
    world.clock.advance(timedelta(seconds=2))
    assert await _round(world) == ForwardEvidenceReport(refused=1)
    assert len(world.gateway.evidence_calls) == 2


@pytest.mark.parametrize("answer", [EvidenceStatus.UNKNOWN, EvidenceStatus.FAILED])
async def test_no_clear_answer_stops_the_round_and_the_dispute_is_sent_again_later(
    world: World, answer: EvidenceStatus
) -> None:
    """The provider is failing or slow: the next call would most likely fail as well, and
    each failure counts against the breaker that guards payments."""
    first = await _filed(world, key="disp-1")
    second = await _filed(world, key="disp-2")
    await _add(world, first, "photo")
    await _add(world, second, "photo")
    world.gateway.evidence_answer = answer

    unanswered = await _round(world)
    assert unanswered == ForwardEvidenceReport(unanswered=1)
    assert unanswered.not_taken == (first,)
    assert [call[0] for call in world.gateway.evidence_calls] == [first]
    world.gateway.evidence_answer = None
    assert await _round(world) == ForwardEvidenceReport(forwarded=1)  # the other one
    world.clock.advance(timedelta(seconds=31))
    assert await _round(world) == ForwardEvidenceReport(forwarded=1)  # the first, again
    assert (_forwarded(world, first), _forwarded(world, second)) == (1, 1)


async def test_a_closed_circuit_claims_nothing(world: World) -> None:
    """Refused at admission: no dispute is leased, so the next round sends it at once."""
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    world.gateway.unavailable = True

    assert await _round(world) == ForwardEvidenceReport(gateway_unavailable=True)
    world.gateway.unavailable = False
    assert await _round(world) == ForwardEvidenceReport(forwarded=1)


async def test_a_claimed_dispute_is_left_to_its_worker_until_the_lease_ends(world: World) -> None:
    """A worker that stopped mid-call: the others skip the dispute until its lease is over."""
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    scope = world.scope()
    claimed = await scope.disputes.claim_evidence_to_forward(
        due_by=world.clock.now(), lease_until=world.clock.now() + ROUND.lease
    )
    await scope.tx.commit()
    assert claimed is not None
    assert claimed.id == dispute_id

    assert await _round(world) == ForwardEvidenceReport()
    world.clock.advance(ROUND.lease)
    assert await _round(world) == ForwardEvidenceReport(forwarded=1)


async def test_texts_added_while_the_provider_answers_are_sent_in_the_next_round(
    world: World,
) -> None:
    """The count recorded is what was sent, so the dispute is still short and due at once."""
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    answer = world.gateway.forward_evidence

    async def then_more_added(
        dispute: UUID, evidence: tuple[str, ...], deadline: Deadline
    ) -> EvidenceStatus:
        held = await answer(dispute, evidence, deadline)
        await _add(world, dispute_id, "letter")
        return held

    world.gateway.forward_evidence = then_more_added  # type: ignore[method-assign]
    assert await _round(world, replace(ROUND, batch=1)) == ForwardEvidenceReport(forwarded=1)
    assert _forwarded(world, dispute_id) == 1
    world.gateway.forward_evidence = answer  # type: ignore[method-assign]

    assert await _round(world) == ForwardEvidenceReport(forwarded=1)
    assert world.gateway.provider_evidence[dispute_id] == ("photo", "letter")
    assert _forwarded(world, dispute_id) == 2


async def test_forwarding_moves_no_money_and_writes_no_event(world: World) -> None:
    dispute_id = await _filed(world)
    await _add(world, dispute_id, "photo")
    ledger = dict(world.db.committed.ledger)
    events = len(world.db.committed.outbox)

    await _round(world)

    assert world.db.committed.ledger == ledger
    assert len(world.db.committed.outbox) == events
    assert not any(e.type is TransactionType.CHARGEBACK for e in ledger.values())
