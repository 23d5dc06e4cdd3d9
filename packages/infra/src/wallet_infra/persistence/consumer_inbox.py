"""`ConsumerInbox` on PostgreSQL: one `consumer_inbox` row per (consumer, event_id).

`INSERT ... ON CONFLICT DO NOTHING RETURNING`: a row back means this transaction is the
first to record the event. Two instances handling the same event at once serialize on
the primary key: the second waits for the first to commit (then sees the conflict) or
roll back (then inserts), so exactly one of them acts.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.ports.consumer_inbox import ConsumerInbox

from wallet_infra.persistence.driver_statement import PositionalStatement, fetchrow
from wallet_infra.persistence.tables import CONSUMER_INBOX_PKEY

# Once per consumed event: one statement to the driver.
_RECORD: Final = PositionalStatement(
    "INSERT INTO consumer_inbox (consumer, event_id) VALUES (:consumer, :event_id)"  # noqa: S608 - constants only
    f" ON CONFLICT ON CONSTRAINT {CONSUMER_INBOX_PKEY} DO NOTHING RETURNING event_id"
)


class SqlaConsumerInbox(ConsumerInbox):
    """Records on the delivery's session connection (its own transaction when none is
    open, so the use case's commit has nothing left to send)."""

    def __init__(self, *, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, consumer: str, event_id: UUID) -> bool:
        row = await fetchrow(
            self._session,
            "consumer_inbox.record",
            _RECORD,
            {"consumer": consumer, "event_id": event_id},
        )
        return row is not None
