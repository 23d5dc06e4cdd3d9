from __future__ import annotations

from typing import Protocol

from wallet_domain.model.events import DomainEvent


class AuditLog(Protocol):
    """The append-only audit trail (`audit_log`): one row per event_id, never changed."""

    async def append(self, event: DomainEvent) -> bool:
        """Insert `event`, committed when this returns (a write on its own). True if it
        was new; False if a row with its event_id is already there (a redelivery), in
        which case nothing changes.
        A concurrent insert of the same event_id is waited for, so exactly one wins."""
        ...
