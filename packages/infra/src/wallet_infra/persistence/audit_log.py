"""`AuditLog` on PostgreSQL: `INSERT ... ON CONFLICT (event_id) DO NOTHING`.

The unique event_id makes a redelivery a no-op at the database, whichever instance gets
it; a concurrent insert of the same event blocks on the unique index until the first
transaction ends, then either inserts (the first rolled back) or does nothing.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.audit_log import AuditLog

from wallet_infra.persistence.tables import AUDIT_LOG_EVENT_ID_KEY

# text(): SQLAlchemy never caches a postgresql.insert() (inherit_cache is False), and this
# runs once per consumed event.
_APPEND: Final = text(
    "INSERT INTO audit_log (event_id, event_type, aggregate_id, user_id, occurred_at, payload)"  # noqa: S608 - constants only
    " VALUES (:event_id, :event_type, :aggregate_id, :user_id, :occurred_at, :payload)"
    f" ON CONFLICT ON CONSTRAINT {AUDIT_LOG_EVENT_ID_KEY} DO NOTHING RETURNING id"
).bindparams(bindparam("payload", type_=JSONB))


class SqlaAuditLog(AuditLog):
    """Appends in the delivery's session; the use case commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def append(self, event: DomainEvent) -> bool:
        result = await self._session.execute(
            _APPEND,
            {
                "event_id": event.event_id,
                "event_type": event.event_type.value,
                "aggregate_id": event.aggregate_id,
                "user_id": event.user_id,
                "occurred_at": event.occurred_at,
                "payload": event.payload,
            },
        )
        return result.first() is not None
