"""Append a consumed event to the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.events import DomainEvent
from wallet_domain.ports.audit_log import AuditLog


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordAuditEventRequest:
    event: DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecorded:
    """`new` is False when the event was already in the log (a redelivery)."""

    new: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordAuditEvent:
    """Store every payment, refund, deposit and transfer event once, exactly as published.

    Rules: the audit log is append-only and unique by event_id, so delivering an event
    any number of times, to any number of instances, leaves exactly one row. The
    append is committed when it returns (it is a write on its own); the caller
    acknowledges the message only after that, so an event is never acknowledged without
    being stored. Any failure propagates, so the message is delivered again.
    """

    audit_log: AuditLog

    async def execute(self, request: RecordAuditEventRequest) -> AuditRecorded:
        return AuditRecorded(new=await self.audit_log.append(request.event))
