from __future__ import annotations

from typing import Protocol

from wallet_domain.model.events import DomainEvent


class OutboxWriter(Protocol):
    """Records events in the request's transaction; the relay publishes them after commit."""

    async def add(self, event: DomainEvent) -> None: ...
