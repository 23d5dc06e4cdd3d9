"""What a recovery round takes: the window (only what no request can still be settling),
the batch and each lookup's timeout, from the settings; shared by the payments' and the
disputes' parts of the round."""

from __future__ import annotations

from datetime import timedelta

from wallet_domain.use_cases.resolve_pending_payments import ResolvePendingRequest
from wallet_infra.config.settings import Settings


def recovery_request(settings: Settings) -> ResolvePendingRequest:
    """Payments PENDING longer than max(`recovery_min_age_s`, 2 x the request deadline)."""
    min_age_s = max(settings.recovery_min_age_s, 2 * settings.request_timeout_s)
    return ResolvePendingRequest(
        older_than=timedelta(seconds=min_age_s),
        batch=settings.recovery_batch,
        lookup_timeout_s=settings.recovery_lookup_timeout_s,
    )
