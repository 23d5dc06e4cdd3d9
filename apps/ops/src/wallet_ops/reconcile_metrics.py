"""The periodic reconciliation's gauges, on a registry of its own (served on the
reconciliation's metrics port)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Gauge
from wallet_domain.model.reconciliation import Mismatch, MismatchKind


class ReconcileMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.mismatches = Gauge(
            "wallet_reconciliation_mismatches",
            "Unresolved mismatches with the provider found by the last run, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "wallet_reconciliation_last_success_timestamp_seconds",
            "When the last reconciliation run that completed ended (Unix time)",
            registry=self.registry,
        )

    def observe(self, found: Iterable[Mismatch], *, at: datetime) -> None:
        """Every kind is set, to 0 when absent, so an alert resolves once it is fixed."""
        unresolved = Counter(m.kind for m in found if not m.fixed)
        for kind in MismatchKind:
            self.mismatches.labels(kind=kind.value).set(unresolved.get(kind, 0))
        self.last_success.set(at.timestamp())
