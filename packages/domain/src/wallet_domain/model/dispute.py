"""Disputes: a wallet's owner contests an approved payment; the provider decides.

The graph (the database enforces the same one):

    OPEN -> UNDER_REVIEW -> SUBMITTED -> WON | LOST | CLOSED
    OPEN | UNDER_REVIEW -> CANCELED   (the client withdraws it)

WON gives the payment's amount back to the wallet (a CHARGEBACK ledger row); LOST, CLOSED
and CANCELED move no money. Evidence texts are appended while OPEN or UNDER_REVIEW, and
sent on to the provider: `evidence_forwarded` counts the first texts it has confirmed
holding (evidence is only appended, so what it holds is always the first N).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from wallet_domain.errors import InvalidState, ValidationError
from wallet_domain.model.external_reference import validate_printable
from wallet_domain.model.provider_event import ProviderDisputeStatus
from wallet_domain.money import Money

MAX_REASON: Final = 500
MAX_EVIDENCE_TEXT: Final = 2000
MAX_EVIDENCE_ITEMS: Final = 20  # in one request, and in a dispute's whole life
# Evidence is prose (newlines and tabs welcome), but a NUL cannot be stored in a
# PostgreSQL text column and a lone UTF-16 surrogate cannot be encoded as UTF-8: both
# are valid JSON escapes, so the client's 400 rather than the database's 500.
_UNSTORABLE: Final = re.compile(r"[\x00\ud800-\udfff]")


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    UNDER_REVIEW = "UNDER_REVIEW"
    SUBMITTED = "SUBMITTED"
    WON = "WON"
    LOST = "LOST"
    CLOSED = "CLOSED"
    CANCELED = "CANCELED"


TRANSITIONS: Final[dict[DisputeStatus, frozenset[DisputeStatus]]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.UNDER_REVIEW, DisputeStatus.CANCELED}),
    DisputeStatus.UNDER_REVIEW: frozenset({DisputeStatus.SUBMITTED, DisputeStatus.CANCELED}),
    DisputeStatus.SUBMITTED: frozenset(
        {DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.CLOSED}
    ),
}
# The provider's line: where each status stands on the way to the provider's decision.
# Its updates can arrive out of order (each webhook is retried on its own), so a status
# further down the line is reached through the ones before it, and one behind is stale.
_PROVIDER_LINE: Final = {
    DisputeStatus.OPEN: 0,
    DisputeStatus.UNDER_REVIEW: 1,
    DisputeStatus.SUBMITTED: 2,
    DisputeStatus.WON: 3,
    DisputeStatus.LOST: 3,
    DisputeStatus.CLOSED: 3,
}
# Not final: the payment cannot get a second dispute while one of these is in one.
ACTIVE_STATUSES: Final = frozenset(TRANSITIONS)
EVIDENCE_STATUSES: Final = frozenset({DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW})
PROVIDER_STATUSES: Final = {
    ProviderDisputeStatus.UNDER_REVIEW: DisputeStatus.UNDER_REVIEW,
    ProviderDisputeStatus.SUBMITTED: DisputeStatus.SUBMITTED,
    ProviderDisputeStatus.WON: DisputeStatus.WON,
    ProviderDisputeStatus.LOST: DisputeStatus.LOST,
    ProviderDisputeStatus.CLOSED: DisputeStatus.CLOSED,
}


def validate_reason(reason: str) -> str:
    return validate_printable(reason, field="reason", max_length=MAX_REASON)


def validate_evidence(evidence: list[str] | None, *, required: bool) -> tuple[str, ...]:
    """Up to 20 texts of 1-2000 characters each (at least one when `required`), none
    holding a NUL or a lone surrogate."""
    items = evidence or []
    if not isinstance(items, list) or (required and not items):
        raise ValidationError("evidence must be a non-empty list of texts", field="evidence")
    if len(items) > MAX_EVIDENCE_ITEMS:
        raise ValidationError(
            f"evidence holds at most {MAX_EVIDENCE_ITEMS} texts", field="evidence"
        )
    for text in items:
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_EVIDENCE_TEXT:
            raise ValidationError(
                f"each evidence text must be 1-{MAX_EVIDENCE_TEXT} characters", field="evidence"
            )
        if _UNSTORABLE.search(text):
            raise ValidationError(
                "evidence texts must not contain NUL characters or lone surrogates",
                field="evidence",
            )
    return tuple(items)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispute:
    id: UUID
    payment_id: UUID
    user_id: str
    money: Money  # the payment's amount: what a won dispute gives back
    reason: str
    status: DisputeStatus
    evidence: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    evidence_forwarded: int = 0  # the first texts the provider confirmed it holds

    @property
    def is_final(self) -> bool:
        return self.status not in TRANSITIONS

    def can_move_to(self, status: DisputeStatus) -> bool:
        return status in TRANSITIONS.get(self.status, frozenset())

    def steps_to(self, status: DisputeStatus) -> tuple[DisputeStatus, ...]:
        """The moves along the graph that take this dispute to `status`, the statuses it
        passes first included (`won` reported while UNDER_REVIEW: SUBMITTED, then WON);
        empty when `status` is not ahead of it on the provider's line (a CANCELED dispute,
        a decision already taken, or `status` behind it)."""
        here = _PROVIDER_LINE.get(self.status)
        there = _PROVIDER_LINE.get(status)
        if here is None or there is None or there <= here:
            return ()
        passed = (s for s, rank in _PROVIDER_LINE.items() if here < rank < there)
        return (*passed, status)

    def has_passed(self, status: DisputeStatus) -> bool:
        """Whether `status` lies behind this dispute on the provider's line: a late update
        (`under_review` after `submitted` was applied) that has nothing left to do."""
        here = _PROVIDER_LINE.get(self.status)
        there = _PROVIDER_LINE.get(status)
        return here is not None and there is not None and there < here

    def move_to(self, status: DisputeStatus, at: datetime) -> Dispute:
        """One step along the graph; anything else is INVALID_STATE with where it is."""
        if not self.can_move_to(status):
            raise InvalidState(
                f"the dispute is {self.status.value} and cannot become {status.value}",
                status=self.status.value,
            )
        return replace(self, status=status, updated_at=at)

    def cancel(self, at: datetime) -> Dispute:
        return self.move_to(DisputeStatus.CANCELED, at)

    def add_evidence(self, texts: tuple[str, ...], at: datetime) -> Dispute:
        if self.status not in EVIDENCE_STATUSES:
            raise InvalidState(
                f"evidence is added while OPEN or UNDER_REVIEW; the dispute is {self.status.value}",
                status=self.status.value,
            )
        if len(self.evidence) + len(texts) > MAX_EVIDENCE_ITEMS:
            raise ValidationError(
                f"a dispute holds at most {MAX_EVIDENCE_ITEMS} evidence texts", field="evidence"
            )
        return replace(self, evidence=self.evidence + texts, updated_at=at)


def new_dispute(
    *,
    id: UUID,
    payment_id: UUID,
    user_id: str,
    money: Money,
    reason: str,
    evidence: tuple[str, ...],
    at: datetime,
) -> Dispute:
    return Dispute(
        id=id,
        payment_id=payment_id,
        user_id=user_id,
        money=money,
        reason=reason,
        status=DisputeStatus.OPEN,
        evidence=evidence,
        created_at=at,
        updated_at=at,
    )
