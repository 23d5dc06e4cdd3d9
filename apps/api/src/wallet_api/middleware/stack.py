"""The middleware stack, in one place so its order is visible and deliberate."""

from __future__ import annotations

from fastapi import FastAPI
from wallet_infra.config.settings import Settings

from wallet_api.auth.keyring import KeyRing, key_id
from wallet_api.http.failure_throttle import AuthFailureThrottle
from wallet_api.http.rate_limiter import RateLimiter
from wallet_api.middleware.api_key import ApiKeyMiddleware
from wallet_api.middleware.body_limit import BodyLimitMiddleware
from wallet_api.middleware.deadline import DeadlineMiddleware
from wallet_api.middleware.problem_details import ProblemDetailsMiddleware
from wallet_api.middleware.rate_limit import RateLimitMiddleware
from wallet_api.middleware.recovery import RecoveryMiddleware
from wallet_api.middleware.request_id import RequestIdMiddleware
from wallet_api.middleware.request_telemetry import RequestTelemetryMiddleware


def auth_failure_throttle(settings: Settings) -> AuthFailureThrottle | None:
    """The per-address throttle of failed keys, or None when a setting turns it off."""
    if settings.auth_failure_rate_per_s <= 0 or settings.auth_failure_burst <= 0:
        return None
    return AuthFailureThrottle(
        rate_per_s=settings.auth_failure_rate_per_s,
        burst=settings.auth_failure_burst,
        max_clients=settings.auth_failure_max_clients,
    )


def install_middlewares(app: FastAPI, settings: Settings) -> None:
    """Outermost first: request id → access log + metrics → problem details → recovery →
    deadline →
    API key → rate limit → body limit → (Dishka request container, added by
    setup_dishka) → routes.

    Request id, log and metrics wrap everything, so even a 401, 413, 429 or 500 is logged
    and counted with its id; problem details sits over every source of an error (the
    recovery's 500 included); recovery sits inside them so they see its 500; the key is
    checked before the body is read (failed keys throttled per client address there), and
    the rate limit right after it (it limits per key, and refuses before any body is read
    or DB connection taken). Starlette adds each middleware outside the previous one,
    hence the reversed calls.
    """
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_s > 0 and settings.rate_limit_burst > 0:
        limiter = RateLimiter(
            rate_per_s=settings.rate_limit_per_s,
            burst=settings.rate_limit_burst,
            key_ids=[key_id(n) for n in range(len(settings.api_keys))],
        )
        app.add_middleware(RateLimitMiddleware, limiter=limiter)
    throttle = auth_failure_throttle(settings)
    app.add_middleware(ApiKeyMiddleware, keyring=KeyRing(settings.api_keys), throttle=throttle)
    app.add_middleware(DeadlineMiddleware, seconds=settings.request_timeout_s)
    app.add_middleware(RecoveryMiddleware)
    app.add_middleware(ProblemDetailsMiddleware)
    app.add_middleware(RequestTelemetryMiddleware)
    app.add_middleware(RequestIdMiddleware)
