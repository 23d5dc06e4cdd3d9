"""Fake of the `DisputeBook` port."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from wallet_domain.errors import InvalidState
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus
from wallet_domain.ports.dispute_book import DisputeBook, StrandedFiling

from wallet_testkit.fakes.store import (
    IntegrityViolation,
    check_appendable,
    check_within_amount,
    given_back,
    latest_row,
    page_by_position,
    position_in,
)
from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeDisputeBook(DisputeBook):
    """Disputes with the database's guards: one open dispute per payment, moves only along
    the graph (the trigger), one CHARGEBACK per dispute (the unique index), a payment's
    chargebacks and refunds within its amount (the check on its row)."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def open(self, dispute: Dispute, opened: DomainEvent, *, filing_key: str) -> None:
        tables = self._tx.tables
        if any(
            d.payment_id == dispute.payment_id and not d.is_final
            for d in [*tables.disputes.values(), *self._tx.db.committed.disputes.values()]
        ):
            raise InvalidState("the payment already has an open dispute")
        tables.disputes[dispute.id] = dispute
        tables.filing_keys[dispute.id] = filing_key
        tables.outbox.append(opened)

    async def lock_filing(self, dispute_id: UUID) -> StrandedFiling | None:
        tables = self._tx.tables
        key = tables.filing_keys.get(dispute_id)
        if key is None:
            return None
        self._tx.db.locks[dispute_id] = self._tx
        attempts = tables.filing_retries.get(dispute_id, (None, 0))[1]
        return StrandedFiling(tables.disputes[dispute_id], key, attempts)

    async def filing_answered(self, dispute_id: UUID, *, evidence_held: int) -> None:
        self._tx.tables.filing_keys.pop(dispute_id, None)
        self._held(dispute_id, evidence_held, None)

    def _held(self, dispute_id: UUID, count: int, at: datetime | None) -> None:
        """The database's GREATEST, and its check that the count is within the texts."""
        disputes = self._tx.tables.disputes
        current = disputes[dispute_id]
        if count > len(current.evidence):
            raise IntegrityViolation(f"{count} texts held of {len(current.evidence)} (check)")
        if count > current.evidence_forwarded:
            moved = current.updated_at if at is None else at
            disputes[dispute_id] = replace(current, evidence_forwarded=count, updated_at=moved)

    async def claim_evidence_to_forward(
        self, *, due_by: datetime, lease_until: datetime
    ) -> Dispute | None:
        tables, locks = self._tx.tables, self._tx.db.locks
        waiting = [
            d
            for d in tables.disputes.values()
            if d.status in (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)
            and d.id not in tables.filing_keys
            and d.evidence_forwarded < len(d.evidence)
            and (tables.evidence_due.get(d.id) or due_by) <= due_by
            and locks.get(d.id, self._tx) is self._tx
        ]
        if not waiting:
            return None
        found = min(
            waiting,
            key=lambda d: (
                tables.evidence_due.get(d.id) is not None,  # NULLS FIRST
                tables.evidence_due.get(d.id) or due_by,
                d.created_at,
            ),
        )
        tables.evidence_due[found.id] = lease_until
        return found

    async def record_forwarding(
        self, dispute_id: UUID, *, evidence_held: int, next_at: datetime | None, at: datetime
    ) -> None:
        self._held(dispute_id, evidence_held, at)
        self._tx.tables.evidence_due[dispute_id] = next_at

    async def ask_again_at(self, dispute_id: UUID, at: datetime) -> None:
        retries = self._tx.tables.filing_retries
        retries[dispute_id] = (at, retries.get(dispute_id, (None, 0))[1] + 1)

    async def claim_stranded_filings(
        self, opened_before: datetime, *, due_by: datetime, limit: int
    ) -> list[StrandedFiling]:
        tables, locks = self._tx.tables, self._tx.db.locks

        def due(dispute_id: UUID) -> bool:
            retry = tables.filing_retries.get(dispute_id)
            return retry is None or retry[0] <= due_by

        def order(found: StrandedFiling) -> tuple[bool, datetime, datetime]:
            """The never asked first, then by when they are due; the oldest first."""
            retry = tables.filing_retries.get(found.dispute.id)
            created = found.dispute.created_at
            return (retry is not None, created if retry is None else retry[0], created)

        stranded = sorted(
            (
                StrandedFiling(
                    tables.disputes[dispute_id],
                    key,
                    tables.filing_retries.get(dispute_id, (due_by, 0))[1],
                )
                for dispute_id, key in tables.filing_keys.items()
                if tables.disputes[dispute_id].created_at < opened_before
                and due(dispute_id)
                and locks.get(dispute_id, self._tx) is self._tx
            ),
            key=order,
        )[:limit]
        for found in stranded:
            locks[found.dispute.id] = self._tx
        return stranded

    async def lock(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        tables = self._tx.tables
        base = self._tx._base.disputes if self._tx._base is not None else {}
        found = latest_row(tables.disputes, base, self._tx.db.committed.disputes, dispute_id)
        return found if found is not None and owner in (None, found.user_id) else None

    async def get(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        found = self._tx.tables.disputes.get(dispute_id)
        return found if found is not None and owner in (None, found.user_id) else None

    async def save(self, dispute: Dispute, event: DomainEvent | None) -> None:
        tables = self._tx.tables
        current = tables.disputes[dispute.id]
        if current.status is not dispute.status and not current.can_move_to(dispute.status):
            raise IntegrityViolation(f"{current.status} -> {dispute.status} (trigger)")
        # As the adapter: the provider's count is not the caller's to write.
        tables.disputes[dispute.id] = replace(
            dispute, evidence_forwarded=current.evidence_forwarded
        )
        if event is not None:
            tables.outbox.append(event)

    async def credit_chargeback(self, entry: LedgerEntry, *, payment_id: UUID) -> None:
        tables = self._tx.tables
        if any(e.dispute_id == entry.dispute_id for e in tables.ledger.values()):
            raise IntegrityViolation(f"dispute {entry.dispute_id} credited already")
        if tables.ledger[payment_id].status is not TransactionStatus.APPROVED:
            raise IntegrityViolation(f"payment {payment_id} is not APPROVED")
        found = given_back(tables, payment_id)
        check_within_amount(replace(found, charged_back=found.charged_back + entry.money.amount))
        check_appendable(tables.ledger, entry)
        tables.add_to_balance(entry.user_id, entry.money.currency, entry.money.amount)
        tables.ledger[entry.id] = entry

    async def page(
        self,
        user_id: str,
        status: DisputeStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Dispute]:
        disputes = self._tx.tables.disputes.values()
        return page_by_position(disputes, user_id, status, before=before, limit=limit)

    async def position(self, user_id: str, dispute_id: UUID) -> LedgerPosition | None:
        return position_in(self._tx.tables.disputes.values(), user_id, dispute_id)
