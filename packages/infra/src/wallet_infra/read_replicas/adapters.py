"""The domain's ports on a `ReadRouter`: lookups and pages replica-first, writes on the
primary.

What the primary must answer: a lookup that finds nothing on the replica (the row may not
have arrived yet), and a payment or hold the replica shows still PENDING (it may have
settled since). A transfer never changes once written, and a page is lag-tolerant as a
whole. Writes are never routed: they go to the primary adapters, so these stay correct
whichever use case is given them; the API gives them only to read-only use cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord, StoredResponse
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus
from wallet_domain.model.transfer import Transfer, TransferLegs
from wallet_domain.model.wallet import Wallet
from wallet_domain.ports.dispute_book import DisputeBook, StrandedFiling
from wallet_domain.ports.hold_book import HoldBook, HoldMove, HoldOpening
from wallet_domain.ports.ledger import Ledger
from wallet_domain.ports.transfer_book import Move, TransferBook
from wallet_domain.ports.wallets import Wallets

from wallet_infra.persistence.dispute_book import SqlaDisputeBook
from wallet_infra.persistence.hold_book import SqlaHoldBook
from wallet_infra.persistence.ledger import SqlaLedger
from wallet_infra.persistence.transfer_book import SqlaTransferBook
from wallet_infra.persistence.wallets import SqlaWallets
from wallet_infra.read_replicas.router import ReadRouter
from wallet_infra.telemetry import current_traceparent


def _found(value: object | None) -> bool:
    return value is not None


def _final_entry(entry: LedgerEntry | None) -> bool:
    return entry is not None and entry.status is not TransactionStatus.PENDING


def _final_hold(hold: Hold | None) -> bool:
    return hold is not None and hold.status is not HoldStatus.PENDING


class ReplicaFirstWallets(Wallets):
    def __init__(self, *, router: ReadRouter) -> None:
        self._router = router
        self._primary = SqlaWallets(session=router.primary)

    async def add(self, wallet: Wallet) -> None:
        await self._primary.add(wallet)

    async def get(self, user_id: str) -> Wallet | None:
        return await self._router.read(
            lambda session: SqlaWallets(session=session).get(user_id), settled=_found
        )


class ReplicaFirstLedger(Ledger):
    def __init__(self, *, router: ReadRouter) -> None:
        self._router = router
        self._primary = SqlaLedger(session=router.primary)

    async def append(self, entry: LedgerEntry) -> None:
        await self._primary.append(entry)

    async def get(self, user_id: str, transaction_id: UUID) -> LedgerEntry | None:
        return await self._router.read(
            lambda session: SqlaLedger(session=session).get(user_id, transaction_id),
            settled=_final_entry,
        )

    async def claim_stale_pending(
        self, created_before: datetime, *, skip: Sequence[UUID] = (), only: UUID | None = None
    ) -> LedgerEntry | None:
        return await self._primary.claim_stale_pending(created_before, skip=skip, only=only)

    async def still_pending(self, payment_ids: Sequence[UUID]) -> set[UUID]:
        return await self._primary.still_pending(payment_ids)

    async def page(
        self, user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
    ) -> list[LedgerEntry]:
        return await self._router.read(
            lambda session: SqlaLedger(session=session).page(
                user_id, filters, before=before, limit=limit
            )
        )


class ReplicaFirstHoldBook(HoldBook):
    def __init__(self, *, router: ReadRouter) -> None:
        self._router = router
        self._primary = SqlaHoldBook(
            session=router.primary, traceparent_provider=current_traceparent
        )

    async def open(
        self, hold: Hold, entry: LedgerEntry, created: DomainEvent, claim: IdempotencyRecord
    ) -> HoldOpening:
        return await self._primary.open(hold, entry, created, claim)

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        return await self._primary.lock(user_id, hold_id)

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None:
        return await self._router.read(
            lambda session: SqlaHoldBook(session=session).get(user_id, hold_id),
            settled=_final_hold,
        )

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> HoldMove:
        return await self._primary.settle(hold, release, event)

    async def page(
        self,
        user_id: str,
        status: HoldStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Hold]:
        return await self._router.read(
            lambda session: SqlaHoldBook(session=session).page(
                user_id, status, before=before, limit=limit
            )
        )

    async def position(self, user_id: str, hold_id: UUID) -> LedgerPosition | None:
        return await self._router.read(
            lambda session: SqlaHoldBook(session=session).position(user_id, hold_id),
            settled=_found,
        )

    async def claim_expired(self, *, limit: int) -> Sequence[Hold]:
        return await self._primary.claim_expired(limit=limit)


class ReplicaFirstTransferBook(TransferBook):
    def __init__(self, *, router: ReadRouter) -> None:
        self._router = router
        self._primary = SqlaTransferBook(
            session=router.primary, traceparent_provider=current_traceparent
        )

    async def move(
        self,
        transfer: Transfer,
        legs: TransferLegs,
        claim: IdempotencyRecord,
        completed: DomainEvent,
        refusal: StoredResponse,
    ) -> Move:
        return await self._primary.move(transfer, legs, claim, completed, refusal)

    async def get(self, transfer_id: UUID) -> Transfer | None:
        return await self._router.read(
            lambda session: SqlaTransferBook(session=session).get(transfer_id), settled=_found
        )


class ReplicaFirstDisputeBook(DisputeBook):
    """Dispute lists from a replica (lag-tolerant); every write and lock on the primary."""

    def __init__(self, *, router: ReadRouter) -> None:
        self._router = router
        self._primary = SqlaDisputeBook(
            session=router.primary, traceparent_provider=current_traceparent
        )

    async def open(self, dispute: Dispute, opened: DomainEvent, *, filing_key: str) -> None:
        await self._primary.open(dispute, opened, filing_key=filing_key)

    async def filing_answered(self, dispute_id: UUID, *, evidence_held: int) -> None:
        await self._primary.filing_answered(dispute_id, evidence_held=evidence_held)

    async def claim_evidence_to_forward(
        self, *, due_by: datetime, lease_until: datetime
    ) -> Dispute | None:
        return await self._primary.claim_evidence_to_forward(due_by=due_by, lease_until=lease_until)

    async def record_forwarding(
        self, dispute_id: UUID, *, evidence_held: int, next_at: datetime | None, at: datetime
    ) -> None:
        await self._primary.record_forwarding(
            dispute_id, evidence_held=evidence_held, next_at=next_at, at=at
        )

    async def claim_stranded_filings(
        self, opened_before: datetime, *, due_by: datetime, limit: int
    ) -> list[StrandedFiling]:
        return await self._primary.claim_stranded_filings(opened_before, due_by=due_by, limit=limit)

    async def lock_filing(self, dispute_id: UUID) -> StrandedFiling | None:
        return await self._primary.lock_filing(dispute_id)

    async def ask_again_at(self, dispute_id: UUID, at: datetime) -> None:
        await self._primary.ask_again_at(dispute_id, at)

    async def lock(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        return await self._primary.lock(dispute_id, owner)

    async def get(self, dispute_id: UUID, owner: str | None) -> Dispute | None:
        return await self._primary.get(dispute_id, owner)

    async def save(self, dispute: Dispute, event: DomainEvent | None) -> None:
        await self._primary.save(dispute, event)

    async def credit_chargeback(self, entry: LedgerEntry, *, payment_id: UUID) -> None:
        await self._primary.credit_chargeback(entry, payment_id=payment_id)

    async def page(
        self,
        user_id: str,
        status: DisputeStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Dispute]:
        return await self._router.read(
            lambda session: SqlaDisputeBook(session=session).page(
                user_id, status, before=before, limit=limit
            )
        )

    async def position(self, user_id: str, dispute_id: UUID) -> LedgerPosition | None:
        return await self._router.read(
            lambda session: SqlaDisputeBook(session=session).position(user_id, dispute_id),
            settled=_found,
        )
