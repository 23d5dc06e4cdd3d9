"""Helpers for the audit consumer's tests (imported by name: conftest puts this folder
on sys.path).

The shared in-memory audit log (`wallet_testkit.fakes.consumers`) behind a Dishka
override provider (APP scope, as the real one), so the subscriber runs under
`TestRabbitBroker` with no database (events come from the same module's `make_event`). What
every consumer's tests share (settlement recorder, /metrics readers, broker and polling
helpers) is in `wallet_testkit`.
"""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_domain.ports.audit_log import AuditLog
from wallet_testkit.fakes.consumers import ConsumerStore, FakeAuditLog


class InMemoryAuditProvider(Provider):
    """Overrides the audit log (the conftest adds `NoPause`)."""

    scope = Scope.APP

    def __init__(self, store: ConsumerStore) -> None:
        super().__init__()
        self._store = store

    @provide
    def audit_log(self) -> AuditLog:
        return FakeAuditLog(self._store)
