"""`X-API-Key` authentication and wallet scoping, before anything else runs.

A key scoped to one wallet that names another wallet in the path is answered exactly
like a missing wallet (404, same body), so it cannot probe which wallets exist. The edge
middleware runs the check and binds the wallet's user_id to the request's log context.

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

from starlette.types import Scope
from wallet_domain.errors import DomainError, RateLimited, Unauthorized, WalletNotFound

from wallet_api.auth.keyring import KeyRing
from wallet_api.auth.principal import Principal
from wallet_api.docs_ui import DOCS_ASSET_PATHS
from wallet_api.http.failure_throttle import AuthFailureThrottle
from wallet_api.http.gateway_webhooks import WEBHOOK_PATH

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
# What the edge lets through without a key (and outside the per-key limits).
UNKEYED_PATHS: Final = PUBLIC_PATHS | SIGNED_PATHS
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


class KeyCheck:
    """Who may make this request: the principal of its key, or the error to answer.

    Failed keys are throttled per client address; a key scoped to one wallet that names
    another in the path gets the same 404 as a missing wallet."""

    __slots__ = ("_keyring", "_throttle")

    def __init__(self, *, keyring: KeyRing, throttle: AuthFailureThrottle | None) -> None:
        self._keyring = keyring
        self._throttle = throttle

    def check(self, scope: Scope, api_key: str | None) -> Principal | DomainError:
        throttle = self._throttle
        if throttle is not None:
            wait_s = throttle.wait_s(client_host(scope))
            if wait_s > 0:
                return RateLimited(_THROTTLED, retry_after_s=max(1, math.ceil(wait_s)))
        principal = self._keyring.authenticate(api_key)
        if principal is None:
            if throttle is not None:
                throttle.record_failure(client_host(scope))
            return Unauthorized()
        wallet = wallet_in_path(scope["path"])
        if wallet is not None and not principal.can_access(wallet):
            return WalletNotFound(user_id=wallet)
        return principal
