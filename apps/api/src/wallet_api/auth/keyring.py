"""Matching a presented API key against the configured ones in constant time.

Both sides are hashed first, so every comparison is between 32-byte digests (no length
leak), and every configured key is compared on every request without an early exit, so
the time taken says nothing about which key, or how much of one, matched.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from wallet_infra.config.api_keys import ApiKey

from wallet_api.auth.principal import Principal


def key_id(position: int) -> str:
    """The non-secret name of the configured key at `position`."""
    return f"key-{position}"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class KeyRing:
    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._entries = tuple(
            (_digest(k.secret.get_secret_value()), Principal(user_id=k.user_id, key_id=key_id(n)))
            for n, k in enumerate(keys)
        )

    def authenticate(self, presented: str | None) -> Principal | None:
        """The principal of `presented`, or None for a missing or unknown key."""
        digest = _digest(presented or "")
        found: Principal | None = None
        for expected, principal in self._entries:
            if hmac.compare_digest(digest, expected):
                found = principal
        return found
