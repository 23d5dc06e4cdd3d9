"""`X-API-Key` authentication and wallet scoping, before anything else runs.

A key scoped to one wallet that names another wallet in the path is answered exactly
like a missing wallet (404, same body), so it cannot probe which wallets exist. The
wallet's user_id is bound to the request's log context from here on.

Failed attempts are throttled per client address (`http/failure_throttle.py`): an
address out of attempts gets 429 `RATE_LIMITED` with `Retry-After` before its key is
even looked at.

The provider's webhook route needs no key: its Standard Webhooks signature authenticates
it (checked by the route). It is outside the failed-key throttle too: a signature cannot
be guessed, and the provider's own address must not be locked out by its retries of a
badly signed event or by a key-guessing client behind the same address.
"""

from __future__ import annotations

import math
from typing import Final

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send
from wallet_domain.errors import RateLimited, Unauthorized, WalletNotFound

from wallet_api.auth.keyring import KeyRing
from wallet_api.docs_ui import DOCS_ASSET_PATHS
from wallet_api.errors.responses import send_error
from wallet_api.http.context import PRINCIPAL, state_of
from wallet_api.http.failure_throttle import AuthFailureThrottle
from wallet_api.http.gateway_webhooks import WEBHOOK_PATH
from wallet_api.middleware.headers import header

# Probes, scrapes and the API description (with its docs pages' assets) need no key.
PUBLIC_PATHS: Final = (
    frozenset(
        {
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
            "/docs/oauth2-redirect",
            "/redoc",
        }
    )
    | DOCS_ASSET_PATHS
)
# Authenticated by a signature instead of a key.
SIGNED_PATHS: Final = frozenset({WEBHOOK_PATH})
_UNKEYED: Final = PUBLIC_PATHS | SIGNED_PATHS
_WALLETS_PREFIX: Final = "/wallets/"
_THROTTLED: Final = "too many failed API key attempts from this address"


def wallet_in_path(path: str) -> str | None:
    """The `{user_id}` of `/wallets/{user_id}/...`, or None for other paths."""
    if not path.startswith(_WALLETS_PREFIX):
        return None
    return path[len(_WALLETS_PREFIX) :].split("/", 1)[0]


def client_host(scope: Scope) -> str:
    """The peer's address as the server saw it (after any trusted proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


class ApiKeyMiddleware:
    def __init__(
        self, app: ASGIApp, *, keyring: KeyRing, throttle: AuthFailureThrottle | None = None
    ) -> None:
        self.app = app
        self._keyring = keyring
        self._throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNKEYED:
            await self.app(scope, receive, send)
            return
        throttle = self._throttle
        if throttle is not None:
            wait_s = throttle.wait_s(client_host(scope))
            if wait_s > 0:
                retry_after_s = max(1, math.ceil(wait_s))
                await send_error(send, RateLimited(_THROTTLED, retry_after_s=retry_after_s))
                return
        principal = self._keyring.authenticate(header(scope, b"x-api-key"))
        if principal is None:
            if throttle is not None:
                throttle.record_failure(client_host(scope))
            await send_error(send, Unauthorized())
            return
        wallet = wallet_in_path(scope["path"])
        if wallet is not None and not principal.can_access(wallet):
            await send_error(send, WalletNotFound(user_id=wallet))
            return
        state_of(scope)[PRINCIPAL] = principal
        if wallet is None:
            await self.app(scope, receive, send)
            return
        with structlog.contextvars.bound_contextvars(user_id=wallet):
            await self.app(scope, receive, send)
