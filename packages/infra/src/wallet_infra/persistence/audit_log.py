"""`AuditLog` on PostgreSQL: `INSERT ... ON CONFLICT (event_id) DO NOTHING`.

The unique event_id makes a redelivery a no-op at the database, whichever instance gets
it; a concurrent insert of the same event blocks on the unique index until the first
transaction ends, then either inserts (the first rolled back) or does nothing.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.audit_log import AuditLog

from wallet_infra.persistence.driver_statement import PositionalStatement, fetchrow, json_text
from wallet_infra.persistence.outbox import event_row
from wallet_infra.persistence.tables import AUDIT_LOG_EVENT_ID_KEY

# Once per consumed event, and a whole write on its own: one statement to the driver.
_APPEND: Final = PositionalStatement(
    "INSERT INTO audit_log (event_id, event_type, aggregate_id, user_id, occurred_at, payload)"  # noqa: S608 - constants only
    " VALUES (:event_id, :event_type, :aggregate_id, :user_id, :occurred_at, :payload)"
    f" ON CONFLICT ON CONSTRAINT {AUDIT_LOG_EVENT_ID_KEY} DO NOTHING RETURNING id"
)


class SqlaAuditLog(AuditLog):
    """Appends on the delivery's session connection (its own transaction when none is
    open, so the use case's commit has nothing left to send)."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def append(self, event: DomainEvent) -> bool:
        # The statement takes the columns it names from the event's outbox row.
        params = event_row(event) | {"payload": json_text(event.payload)}
        row = await fetchrow(self._session, "audit_log.append", _APPEND, params)
        return row is not None
