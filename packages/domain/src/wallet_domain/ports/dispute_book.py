from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import LedgerEntry


@dataclass(frozen=True, slots=True)
class StrandedFiling:
    """A dispute whose filing never got its reply stored, the key awaiting it, and how
    many times the provider was asked about it without an answer."""

    dispute: Dispute
    key: str
    attempts: int = 0


class DisputeBook(Protocol):
    """Disputes, in the caller's transaction (never commits). The database keeps the
    state graph, one open dispute per payment, and a row in `dispute_events` per move."""

    async def open(self, dispute: Dispute, opened: DomainEvent, *, filing_key: str) -> None:
        """Write the new OPEN dispute and `opened`, with `filing_key` (the Idempotency-Key
        awaiting the filing's reply). INVALID_STATE if the payment already has a dispute
        that is not final (the database refuses the second)."""
        ...

    async def lock_filing(self, dispute_id: UUID) -> StrandedFiling | None:
        """The dispute, locked until the transaction ends, with the key awaiting its
        filing's reply; None once that reply is stored (or there is no such dispute)."""
        ...

    async def filing_answered(self, dispute_id: UUID, *, evidence_held: int) -> None:
        """The (locked) dispute's filing reply is stored: it no longer awaits one. The
        provider is known to hold its first `evidence_held` evidence texts (0: not known;
        a count never goes down)."""
        ...

    async def claim_stranded_filings(
        self, opened_before: datetime, *, due_by: datetime, limit: int
    ) -> list[StrandedFiling]:
        """Up to `limit` disputes opened before `opened_before` still awaiting their
        filing's reply and due to be asked about by `due_by`, locked until the transaction
        ends (those another transaction holds are skipped): the never asked first, then
        the oldest."""
        ...

    async def ask_again_at(self, dispute_id: UUID, at: datetime) -> None:
        """The (locked) dispute's filing got no answer: due again at `at`, one more
        attempt counted."""
        ...

    async def claim_evidence_to_forward(
        self, *, due_by: datetime, lease_until: datetime
    ) -> Dispute | None:
        """One dispute whose evidence the provider may lack (OPEN or UNDER_REVIEW, its
        filing answered, more texts than the provider confirmed) due by `due_by`, the
        longest due first; not due again before `lease_until`, so other workers leave it
        to this one meanwhile. Written at once (its own short transaction): no lock is
        held while the provider is asked."""
        ...

    async def record_forwarding(
        self, dispute_id: UUID, *, evidence_held: int, next_at: datetime | None, at: datetime
    ) -> None:
        """The provider holds the dispute's first `evidence_held` texts (a count never
        goes down; 0 says nothing new; a higher one moves `updated_at` to `at`); due again
        at `next_at` (None: as soon as it holds fewer texts than the dispute)."""
        ...

    async def lock(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        """The dispute, locked until the transaction ends; None if there is none or it is
        not `owner`'s (None: any wallet's)."""
        ...

    async def get(self, dispute_id: UUID, owner: str | None) -> Dispute | None: ...

    async def save(self, dispute: Dispute, event: DomainEvent | None) -> None:
        """Store the locked dispute's new status and evidence, with `event` if any."""
        ...

    async def credit_chargeback(self, entry: LedgerEntry, *, payment_id: UUID) -> None:
        """Credit a won dispute's CHARGEBACK `entry` to its balance, with the ledger row, and
        add it to the charged-back total of the (locked) disputed payment `payment_id`:
        at most one per dispute, and never more, with the payment's refunds, than its
        amount (the database refuses either)."""
        ...

    async def page(
        self,
        user_id: str,
        status: DisputeStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Dispute]:
        """Up to `limit` disputes strictly before `before` (from the newest if None), newest
        first: (created_at, id) descending."""
        ...

    async def position(self, user_id: str, dispute_id: UUID) -> LedgerPosition | None:
        """Where the wallet's dispute sits in its pages (None if the wallet has no such
        dispute): what a cursor naming it by id resumes after."""
        ...
