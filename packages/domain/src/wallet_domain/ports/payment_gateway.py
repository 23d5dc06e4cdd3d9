from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.money import Money


class ChargeStatus(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"  # definitely not charged: 5xx after retries, or never connected
    UNKNOWN = "UNKNOWN"  # timed out or cut mid-request: the gateway may have charged
    # The request's deadline ran out before any attempt (e.g. spent waiting on its first
    # write): nothing was sent, so nothing was charged, and the time is what failed.
    NOT_SENT = "NOT_SENT"


class LookupStatus(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    NOT_CHARGED = "NOT_CHARGED"  # the gateway has no charge for this payment
    # The provider has the charge and says it has not decided it yet: an answer from a
    # working provider, unlike UNKNOWN. Either way the payment stays PENDING.
    PENDING = "PENDING"
    UNKNOWN = "UNKNOWN"  # the lookup itself failed


class FilingStatus(StrEnum):
    FILED = "FILED"  # the provider has the dispute
    FAILED = "FAILED"  # definitely not filed: the provider's own refusal, or never connected
    UNKNOWN = "UNKNOWN"  # timed out or cut mid-request: the provider may have it
    NOT_SENT = "NOT_SENT"  # no attempt was made: the deadline was spent before any
    # (As `find_dispute`'s answer: FILED the provider has it, FAILED its own "no such
    # dispute", UNKNOWN the lookup failed.)


class WithdrawalStatus(StrEnum):
    """What the provider said to withdrawing a dispute (the client canceled it)."""

    WITHDRAWN = "WITHDRAWN"  # it withdrew the dispute (or had already)
    NOT_FILED = "NOT_FILED"  # its own "no such dispute": there is nothing to withdraw
    DECIDED = "DECIDED"  # its own refusal: the dispute went past where it can be withdrawn
    FAILED = "FAILED"  # definitely not withdrawn: 5xx after retries, or never connected
    UNKNOWN = "UNKNOWN"  # no answer in time (or none sent): it may have withdrawn it


class EvidenceStatus(StrEnum):
    """What the provider said to the evidence a dispute holds here, sent in full."""

    HELD = "HELD"  # it holds every text sent (it added those it lacked)
    # Its own refusal: the dispute went past where it takes evidence, was withdrawn, or is
    # not one it has.
    REFUSED = "REFUSED"
    FAILED = "FAILED"  # 5xx after retries, or never connected
    UNKNOWN = "UNKNOWN"  # no answer in time (or none sent), or one that could not be read


@dataclass(frozen=True, slots=True, kw_only=True)
class DisputeFiling:
    dispute_id: UUID  # also the gateway idempotency key
    payment_id: UUID
    money: Money
    reason: str
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeRequest:
    payment_id: UUID  # also the gateway idempotency key
    user_id: str
    money: Money
    provider_id: UUID
    external_reference: str


class PaymentGateway(Protocol):
    """The external payment provider."""

    def admission(self) -> AbstractAsyncContextManager[None]:
        """Reserve the right to call the gateway (circuit not open, a bulkhead slot free),
        held for the whole payment (its charge and any outcome lookup) or one recovery
        lookup; make those calls inside it. Raises GatewayUnavailable at once otherwise,
        so the caller can refuse before debiting anything."""
        ...

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        """Charge once (retrying transient failures within `deadline`). Never raises
        for gateway behaviour: every outcome is a ChargeStatus."""
        ...

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        """Ask what became of a charge for `payment_id`."""
        ...

    async def file_dispute(self, filing: DisputeFiling, deadline: Deadline) -> FilingStatus:
        """Open the dispute at the provider (retrying transient failures within
        `deadline`, idempotent on the dispute id). Never raises for gateway behaviour."""
        ...

    async def find_dispute(self, dispute_id: UUID, deadline: Deadline) -> FilingStatus:
        """Whether the provider has the dispute: FILED (it does), FAILED (its own "no such
        dispute"), UNKNOWN (the lookup failed). Never raises for gateway behaviour."""
        ...

    async def withdraw_dispute(self, dispute_id: UUID, deadline: Deadline) -> WithdrawalStatus:
        """Ask the provider to withdraw the dispute (retrying transient failures within
        `deadline`; idempotent: a repeat finds it withdrawn). Never raises for gateway
        behaviour."""
        ...

    async def forward_evidence(
        self, dispute_id: UUID, evidence: tuple[str, ...], deadline: Deadline
    ) -> EvidenceStatus:
        """Send the provider every evidence text the dispute holds, in order; it adds
        those after the ones it has (its texts are always the first of these: evidence is
        only appended, and a filing carries what the dispute held then). Idempotent: a
        repeat adds nothing. Retries transient failures within `deadline`; never raises
        for gateway behaviour."""
        ...
