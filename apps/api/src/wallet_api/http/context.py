"""Per-request values the middlewares (and the router) put on the ASGI scope, read back typed."""

from __future__ import annotations

from typing import Any, Final

from starlette.types import Scope
from wallet_domain.deadline import Deadline

from wallet_api.auth.principal import Principal

PRINCIPAL: Final = "principal"
DEADLINE: Final = "deadline"
REQUEST_ID: Final = "request_id"


def state_of(scope: Scope) -> dict[str, Any]:
    """The request's state dict (uvicorn gives each request its own copy)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def principal_of(scope: Scope) -> Principal | None:
    value = state_of(scope).get(PRINCIPAL)
    return value if isinstance(value, Principal) else None


def deadline_of(scope: Scope) -> Deadline | None:
    value = state_of(scope).get(DEADLINE)
    return value if isinstance(value, Deadline) else None


def route_of(scope: Scope) -> str | None:
    """The matched route's template, e.g. `/wallets/{user_id}/balance` (set on the scope by
    the router or the fast lane), or None when no route matched."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else None
