"""The middleware stack, in one place so its order is visible and deliberate."""

from __future__ import annotations

from fastapi import FastAPI
from wallet_infra.config.settings import Settings

from wallet_api.auth.keyring import KeyRing, key_id
from wallet_api.http.failure_throttle import AuthFailureThrottle
from wallet_api.http.rate_limiter import RateLimiter
from wallet_api.middleware.api_key import KeyCheck
from wallet_api.middleware.edge import EdgeMiddleware


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
    """The edge middleware (`middleware/edge.py`: request id, access log and metrics,
    problem details, recovery, deadline, API key, rate limit, body limit, in that order),
    outside the request containers (`install_request_containers`), then the routes."""
    limiter = None
    if settings.rate_limit_per_s > 0 and settings.rate_limit_burst > 0:
        limiter = RateLimiter(
            rate_per_s=settings.rate_limit_per_s,
            burst=settings.rate_limit_burst,
            key_ids=[key_id(n) for n in range(len(settings.api_keys))],
        )
    keys = KeyCheck(keyring=KeyRing(settings.api_keys), throttle=auth_failure_throttle(settings))
    app.add_middleware(
        EdgeMiddleware,
        keys=keys,
        limiter=limiter,
        max_body_bytes=settings.max_body_bytes,
        request_timeout_s=settings.request_timeout_s,
    )
