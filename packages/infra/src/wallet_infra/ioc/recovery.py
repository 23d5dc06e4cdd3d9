"""The recovery worker's delays (APP), for every process that resolves stale payments:
the API's worker and `wallet-reconcile --fix`."""

from __future__ import annotations

from datetime import timedelta

from dishka import Provider, Scope, provide
from wallet_domain.model.payment_backoff import RecheckBackoff, SettleBackoff

from wallet_infra.config.settings import Settings


def doubling(base_s: float, max_s: float) -> tuple[timedelta, timedelta]:
    """A delay's first value and its cap, the cap never below the first."""
    base = timedelta(seconds=base_s)
    return base, max(base, timedelta(seconds=max_s))


def recheck_delays(settings: Settings) -> tuple[timedelta, timedelta]:
    """How long before asking the provider again about an outcome it could not tell."""
    return doubling(settings.recovery_recheck_base_s, settings.recovery_recheck_max_s)


class RecoveryBackoffProvider(Provider):
    scope = Scope.APP

    @provide
    def settle_backoff(self, settings: Settings) -> SettleBackoff:
        """One per process: the rounds share which payments failed to settle before."""
        base, cap = doubling(settings.recovery_backoff_base_s, settings.recovery_backoff_max_s)
        return SettleBackoff(base=base, cap=cap)

    @provide
    def recheck_backoff(self, settings: Settings) -> RecheckBackoff:
        """One per process: the rounds share which outcomes were unknown."""
        base, cap = recheck_delays(settings)
        return RecheckBackoff(base=base, cap=cap)
