"""`ProviderEventLog` on PostgreSQL: `provider_events`, keyed by the provider's event id.

`INSERT ... ON CONFLICT DO NOTHING` on the primary key: a second transaction inserting the
same id waits for the first to end, then inserts nothing if it committed. That wait is what
makes two deliveries of one event at the same moment apply it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.provider_event import ProviderEventOutcome
from wallet_domain.ports.provider_event_log import ProviderEventLog

from wallet_infra.persistence.tables import provider_events

_RECORD: Final = (
    insert(provider_events)
    .on_conflict_do_nothing(index_elements=[provider_events.c.provider_event_id])
    .returning(provider_events.c.provider_event_id)
)


class SqlaProviderEventLog(ProviderEventLog):
    """In the request session's transaction; never commits."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        *,
        provider_event_id: str,
        event_type: str,
        subject_id: UUID | None,
        outcome: ProviderEventOutcome,
        created_at: datetime,
    ) -> bool:
        values = {
            "provider_event_id": provider_event_id,
            "type": event_type,
            "subject_id": subject_id,
            "outcome": outcome.value,
            "created_at": created_at,
        }
        result = await self._session.execute(_RECORD, values)
        return result.first() is not None
