"""The dispute's state graph, evidence rules and the events its moves publish."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from wallet_domain.errors import InvalidState, ValidationError
from wallet_domain.model.dispute import (
    MAX_EVIDENCE_ITEMS,
    PROVIDER_STATUSES,
    Dispute,
    DisputeStatus,
    new_dispute,
    validate_evidence,
)
from wallet_domain.model.events import EventType, dispute_event
from wallet_domain.model.provider_event import ProviderDisputeStatus
from wallet_domain.money import Money

S = DisputeStatus
DECIDED = (S.WON, S.LOST, S.CLOSED)
AT = datetime(2026, 12, 6, tzinfo=UTC)
GRAPH = {
    (S.OPEN, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, S.SUBMITTED),
    (S.SUBMITTED, S.WON),
    (S.SUBMITTED, S.LOST),
    (S.SUBMITTED, S.CLOSED),
    (S.OPEN, S.CANCELED),
    (S.UNDER_REVIEW, S.CANCELED),
}


def _dispute(status: DisputeStatus = S.OPEN) -> Dispute:
    opened = new_dispute(
        id=uuid4(),
        payment_id=uuid4(),
        user_id="alice",
        money=Money(300, "USD"),
        reason="not delivered",
        evidence=(),
        at=AT,
    )
    return replace(opened, status=status)


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_only_the_graphs_moves_are_allowed(source: DisputeStatus, target: DisputeStatus) -> None:
    dispute = _dispute(source)
    if (source, target) in GRAPH:
        moved = dispute.move_to(target, AT + timedelta(seconds=1))
        assert (moved.status, moved.updated_at) == (target, AT + timedelta(seconds=1))
    else:
        with pytest.raises(InvalidState) as refused:
            dispute.move_to(target, AT)
        assert refused.value.details == {"status": source.value}


@pytest.mark.parametrize(
    ("source", "target", "steps"),
    [
        (S.OPEN, S.UNDER_REVIEW, (S.UNDER_REVIEW,)),
        (S.OPEN, S.SUBMITTED, (S.UNDER_REVIEW, S.SUBMITTED)),
        (S.OPEN, S.WON, (S.UNDER_REVIEW, S.SUBMITTED, S.WON)),
        (S.UNDER_REVIEW, S.LOST, (S.SUBMITTED, S.LOST)),
        (S.SUBMITTED, S.CLOSED, (S.CLOSED,)),
    ],
)
def test_a_status_ahead_on_the_providers_line_is_reached_through_the_ones_before_it(
    source: DisputeStatus, target: DisputeStatus, steps: tuple[DisputeStatus, ...]
) -> None:
    dispute = _dispute(source)
    assert dispute.steps_to(target) == steps
    assert not dispute.has_passed(target)
    for step in steps:  # every step is a move of the graph
        dispute = dispute.move_to(step, AT)
    assert dispute.status is target


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_no_steps_lead_back_off_a_decision_or_out_of_a_cancel(
    source: DisputeStatus, target: DisputeStatus
) -> None:
    line = [S.OPEN, S.UNDER_REVIEW, S.SUBMITTED]
    ahead = source in line and (target in line[line.index(source) + 1 :] or target in DECIDED)
    behind = (
        source is not S.CANCELED
        and target in line
        and (source in DECIDED or line.index(target) < line.index(source))
    )
    assert bool(_dispute(source).steps_to(target)) is ahead
    assert _dispute(source).has_passed(target) is behind


def test_final_states_have_no_way_out() -> None:
    assert {s for s in S if _dispute(s).is_final} == {S.WON, S.LOST, S.CLOSED, S.CANCELED}


def test_every_provider_status_names_a_state() -> None:
    assert set(PROVIDER_STATUSES) == set(ProviderDisputeStatus)
    assert {s.value.lower() for s in PROVIDER_STATUSES.values()} == {
        p.value for p in ProviderDisputeStatus
    }


def test_evidence_is_appended_while_open_or_under_review_only() -> None:
    dispute = _dispute().add_evidence(("a",), AT).add_evidence(("b", "c"), AT)
    assert dispute.evidence == ("a", "b", "c")
    under_review = dispute.move_to(S.UNDER_REVIEW, AT).add_evidence(("d",), AT)
    assert under_review.evidence[-1] == "d"
    with pytest.raises(InvalidState):
        under_review.move_to(S.SUBMITTED, AT).add_evidence(("e",), AT)


def test_a_dispute_holds_at_most_twenty_evidence_texts() -> None:
    full = _dispute().add_evidence(("x",) * MAX_EVIDENCE_ITEMS, AT)
    with pytest.raises(ValidationError):
        full.add_evidence(("one more",), AT)


@pytest.mark.parametrize(
    "evidence",
    [
        [],
        [""],
        ["x" * 2001],
        ["ok"] * 21,
        [1],
        ["a\x00b"],
        [f"a{chr(0xD800)}b"],
        [f"a{chr(0xDFFF)}b"],
    ],
    ids=["empty", "blank", "long", "many", "int", "nul", "high_surrogate", "low_surrogate"],
)
def test_invalid_evidence_is_refused(evidence: list[str]) -> None:
    with pytest.raises(ValidationError):
        validate_evidence(evidence, required=True)


def test_evidence_is_prose_newlines_tabs_and_any_script_are_kept() -> None:
    texts = ["line one\nline two", "col\tcol\r\n", "reçu n° 7 📦"]
    assert validate_evidence(texts, required=True) == tuple(texts)


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        (S.OPEN, EventType.DISPUTE_OPENED),
        (S.UNDER_REVIEW, EventType.DISPUTE_UPDATED),
        (S.SUBMITTED, EventType.DISPUTE_UPDATED),
        (S.CANCELED, EventType.DISPUTE_UPDATED),
        (S.CLOSED, EventType.DISPUTE_UPDATED),
        (S.WON, EventType.DISPUTE_WON),
        (S.LOST, EventType.DISPUTE_LOST),
    ],
)
def test_each_state_publishes_its_event(status: DisputeStatus, event_type: EventType) -> None:
    dispute = _dispute(status)
    event = dispute_event(dispute, event_id=uuid4(), at=AT)
    assert (event.event_type, event.aggregate_id, event.payload["status"]) == (
        event_type,
        dispute.id,
        status.value,
    )
