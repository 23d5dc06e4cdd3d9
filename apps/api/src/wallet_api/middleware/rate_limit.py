"""Per-API-key rate limit: 429 RATE_LIMITED with `Retry-After`, after auth.

It sits inside the API-key middleware, so it knows which configured key is calling and
unauthenticated traffic never spends a key's tokens (it gets its 401 first). Probes and
scrapes are exempt: an orchestrator must not be locked out by busy clients.
"""

from __future__ import annotations

import math
from typing import Final

from starlette.types import ASGIApp, Receive, Scope, Send
from wallet_domain.errors import RateLimited

from wallet_api.errors.responses import send_error
from wallet_api.http.context import principal_of
from wallet_api.http.rate_limiter import RateLimiter

EXEMPT_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = principal_of(scope) if scope["type"] == "http" else None
        if principal is None or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        wait_s = self._limiter.wait_s(principal.key_id)
        if wait_s > 0:
            await send_error(send, RateLimited(retry_after_s=max(1, math.ceil(wait_s))))
            return
        await self.app(scope, receive, send)
