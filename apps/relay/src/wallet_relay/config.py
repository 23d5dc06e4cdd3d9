"""The relay's tuning knobs, read once from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from wallet_infra.config.settings import Settings

PURGE_BATCH: Final = 5_000


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig:
    batch_size: int
    poll_interval_s: float
    max_backoff_s: float
    retention: timedelta
    purge_interval_s: float
    concurrency: int = 1
    linger_s: float = 0.0
    backlog_interval_s: float = 5.0  # how often the outbox backlog gauges are refreshed
    purge_batch: int = PURGE_BATCH

    @classmethod
    def from_settings(cls, settings: Settings) -> RelayConfig:
        return cls(
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            max_backoff_s=settings.relay_max_backoff_s,
            retention=timedelta(hours=settings.relay_retention_h),
            purge_interval_s=settings.relay_purge_interval_s,
            concurrency=settings.relay_concurrency,
            linger_s=settings.relay_linger_ms / 1000,
        )
