"""The audit consumer's own providers: its use case and the audit log it writes (APP
scope, resolved once at start-up; the batched adapter finishes its pending writes when
the container closes, before the engine is disposed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_domain.ports.audit_log import AuditLog
from wallet_domain.use_cases.record_audit_event import RecordAuditEvent
from wallet_infra.persistence.audit_log import AsyncpgAuditLog


class AuditConsumerProvider(Provider):
    scope = Scope.APP

    @provide
    async def audit_log(self, engine: AsyncEngine) -> AsyncIterator[AuditLog]:
        audit_log = AsyncpgAuditLog(engine=engine)
        yield audit_log
        await audit_log.aclose()

    record_audit_event = provide(RecordAuditEvent)
