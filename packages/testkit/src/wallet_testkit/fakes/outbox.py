"""Fake of the `OutboxWriter` port."""

from __future__ import annotations

from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.outbox import OutboxWriter

from wallet_testkit.fakes.unit_of_work import FakeTransactionManager


class FakeOutbox(OutboxWriter):
    """Records events in order, in the unit of work's staged state."""

    def __init__(self, tx: FakeTransactionManager) -> None:
        self._tx = tx

    async def add(self, event: DomainEvent) -> None:
        self._tx.tables.outbox.append(event)
