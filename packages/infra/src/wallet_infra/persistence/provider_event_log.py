"""`ProviderEventLog` on PostgreSQL: `provider_events`, keyed by the provider's event id.

`INSERT ... ON CONFLICT DO NOTHING` on the primary key: a second transaction inserting the
same id waits for the first to end, then inserts nothing if it committed. That wait is what
makes two deliveries of one event at the same moment apply it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.provider_event import ProviderEventOutcome, ProviderEventType
from wallet_domain.ports.provider_event_log import ProviderEventLog

from wallet_infra.persistence.driver import DriverStatement, fetchrow
from wallet_infra.persistence.tables import PROVIDER_EVENTS_PKEY

# text(): SQLAlchemy never caches a postgresql.insert(), so the Core form was compiled
# afresh for every event.
_RECORD: Final = DriverStatement(
    text(
        "INSERT INTO provider_events (provider_event_id, type, subject_id, outcome, created_at)"  # noqa: S608 - constants only
        " VALUES (:provider_event_id, :type, :subject_id, :outcome, :created_at)"
        f" ON CONFLICT ON CONSTRAINT {PROVIDER_EVENTS_PKEY} DO NOTHING"
        " RETURNING provider_event_id"
    )
)


# Through provider_events_refunds_idx (migration 0034): the type is a literal, as in its
# predicate, so the planner can use it whatever the bound values.
REFUND_RECORDED: Final = DriverStatement(
    text(
        "SELECT EXISTS (SELECT FROM provider_events WHERE subject_id = :payment_id"  # noqa: S608 - constants only
        f" AND type = '{ProviderEventType.PAYMENT_REFUNDED.value}') AS recorded"
    )
)


class AsyncpgProviderEventLog(ProviderEventLog):
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
        await self._session.connection()  # in the session's transaction, never on its own
        row = await fetchrow(self._session, "provider_events.record", _RECORD, values)
        return row is not None

    async def refund_recorded(self, payment_id: UUID) -> bool:
        await self._session.connection()
        row = await fetchrow(
            self._session,
            "provider_events.refund_recorded",
            REFUND_RECORDED,
            {"payment_id": payment_id},
        )
        recorded: bool = row["recorded"]
        return recorded
