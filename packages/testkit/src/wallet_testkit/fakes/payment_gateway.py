"""A scripted `PaymentGateway`: answers, hooks and recorded calls."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from uuid import UUID

from wallet_domain.deadline import Deadline
from wallet_domain.errors import (
    GatewayUnavailable,
)
from wallet_domain.ports.payment_gateway import (
    ChargeRequest,
    ChargeStatus,
    DisputeFiling,
    EvidenceStatus,
    FilingStatus,
    LookupStatus,
    PaymentGateway,
    WithdrawalStatus,
)

ChargeHook = Callable[[ChargeRequest], Awaitable[None]]
LookupHook = Callable[[UUID], Awaitable[None]]


class ScriptedGateway(PaymentGateway):
    """Answers from scripts (charge defaults to APPROVED; an unscripted lookup is a test
    error), or a lookup from `known` by payment id first (what the provider says of that
    payment, however often asked); can refuse admission, runs optional hooks inside calls,
    records every call."""

    def __init__(
        self,
        *,
        charges: Iterable[ChargeStatus] = (),
        lookups: Iterable[LookupStatus] = (),
        unavailable: bool = False,
    ) -> None:
        self.charges: deque[ChargeStatus] = deque(charges)
        self.lookups: deque[LookupStatus] = deque(lookups)
        self.known: dict[UUID, LookupStatus] = {}
        self.unavailable = unavailable
        self.on_charge: ChargeHook | None = None
        self.on_lookup: LookupHook | None = None
        self.charge_calls: list[ChargeRequest] = []
        self.lookup_calls: list[UUID] = []
        self.filings: list[DisputeFiling] = []
        self.filing_status = FilingStatus.FILED
        self.filing_crash: BaseException | None = None  # raised after the filing arrives
        self.disputes_held: set[UUID] = set()  # filed and answered FILED
        self.dispute_lookups: list[UUID] = []
        self.dispute_lookup: FilingStatus | None = None  # None: from disputes_held
        self.silent_disputes: set[UUID] = set()  # no answer about them (lookup or filing)
        self.withdrawals: list[UUID] = []
        # None: WITHDRAWN if the provider holds the dispute, else NOT_FILED.
        self.withdrawal: WithdrawalStatus | None = None
        self.evidence_calls: list[tuple[UUID, tuple[str, ...]]] = []
        # None: HELD if the provider holds the dispute, else REFUSED.
        self.evidence_answer: EvidenceStatus | None = None
        self.provider_evidence: dict[UUID, tuple[str, ...]] = {}  # what it took (HELD)
        self.admitted = 0
        self.in_use = 0

    def script(
        self, *, charges: Iterable[ChargeStatus] = (), lookups: Iterable[LookupStatus] = ()
    ) -> None:
        self.charges.extend(charges)
        self.lookups.extend(lookups)

    def admission(self) -> AbstractAsyncContextManager[None]:
        return self._slot()

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self.unavailable:
            raise GatewayUnavailable(retry_after_s=7)
        self.admitted += 1
        self.in_use += 1
        try:
            yield
        finally:
            self.in_use -= 1

    async def charge(self, request: ChargeRequest, deadline: Deadline) -> ChargeStatus:
        self.charge_calls.append(request)
        if self.on_charge is not None:
            await self.on_charge(request)
        return self.charges.popleft() if self.charges else ChargeStatus.APPROVED

    async def lookup(self, payment_id: UUID, deadline: Deadline) -> LookupStatus:
        self.lookup_calls.append(payment_id)
        if self.on_lookup is not None:
            await self.on_lookup(payment_id)
        if payment_id in self.known:
            return self.known[payment_id]
        if not self.lookups:
            raise AssertionError(f"unscripted gateway lookup for {payment_id}")
        return self.lookups.popleft()

    async def file_dispute(self, filing: DisputeFiling, deadline: Deadline) -> FilingStatus:
        self.filings.append(filing)
        if self.filing_crash is not None:
            raise self.filing_crash
        if filing.dispute_id in self.silent_disputes:
            return FilingStatus.UNKNOWN
        if self.filing_status is FilingStatus.FILED:
            self.disputes_held.add(filing.dispute_id)
        return self.filing_status

    async def find_dispute(self, dispute_id: UUID, deadline: Deadline) -> FilingStatus:
        self.dispute_lookups.append(dispute_id)
        if dispute_id in self.silent_disputes:
            return FilingStatus.UNKNOWN
        if self.dispute_lookup is not None:
            return self.dispute_lookup
        return FilingStatus.FILED if dispute_id in self.disputes_held else FilingStatus.FAILED

    async def withdraw_dispute(self, dispute_id: UUID, deadline: Deadline) -> WithdrawalStatus:
        self.withdrawals.append(dispute_id)
        if self.withdrawal is not None:
            return self.withdrawal
        if dispute_id in self.disputes_held:
            return WithdrawalStatus.WITHDRAWN
        return WithdrawalStatus.NOT_FILED

    async def forward_evidence(
        self, dispute_id: UUID, evidence: tuple[str, ...], deadline: Deadline
    ) -> EvidenceStatus:
        self.evidence_calls.append((dispute_id, evidence))
        answer = self.evidence_answer
        if answer is None:
            held = dispute_id in self.disputes_held
            answer = EvidenceStatus.HELD if held else EvidenceStatus.REFUSED
        if answer is EvidenceStatus.HELD:
            self.provider_evidence[dispute_id] = evidence
        return answer
