"""Fake of the `ProviderEventLog` port."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from wallet_domain.model.provider_event import ProviderEventOutcome, ProviderEventType
from wallet_domain.ports.provider_event_log import ProviderEventLog

from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeProviderEventLog(ProviderEventLog):
    """A unique key: a row committed by another unit of work counts too."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def record(
        self,
        *,
        provider_event_id: str,
        event_type: str,
        subject_id: UUID | None,
        outcome: ProviderEventOutcome,
        created_at: datetime,
    ) -> bool:
        staged, committed = self._tx.tables.provider_events, self._tx.db.committed.provider_events
        if provider_event_id in staged or provider_event_id in committed:
            return False
        staged[provider_event_id] = (event_type, subject_id, outcome.value)
        return True

    async def refund_recorded(self, payment_id: UUID) -> bool:
        stored = (self._tx.tables.provider_events, self._tx.db.committed.provider_events)
        refunded = ProviderEventType.PAYMENT_REFUNDED.value
        return any(
            (kind, subject) == (refunded, payment_id)
            for rows in stored
            for kind, subject, _ in rows.values()
        )
