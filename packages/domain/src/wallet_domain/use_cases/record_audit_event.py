"""Append a consumed event to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.ports.transaction_manager import TransactionManager


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordAuditEventRequest:
    event: DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecorded:
    """`new` is False when the event was already in the log (a redelivery)."""

    new: bool


class RecordAuditEvent:
    """Store every payment, refund and deposit event once, exactly as it was published.

    Rules: the audit log is append-only and unique by event_id, so delivering an event
    any number of times, to any number of instances, leaves exactly one row (§8). The
    insert commits before this returns; the caller acknowledges the message only after
    that, so an event is never acknowledged without being stored. Any failure rolls the
    unit of work back and propagates, so the message is delivered again.
    """

    def __init__(self, *, audit_log: AuditLog, tx: TransactionManager) -> None:
        self._audit_log = audit_log
        self._tx = tx

    async def execute(self, request: RecordAuditEventRequest) -> AuditRecorded:
        try:
            new = await self._audit_log.append(request.event)
            await self._tx.commit()
        except BaseException:
            await self._tx.rollback()
            raise
        return AuditRecorded(new=new)
