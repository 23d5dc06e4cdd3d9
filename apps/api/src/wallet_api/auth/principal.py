"""Who is calling: a service key (every wallet) or a key scoped to one wallet."""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.errors import WalletNotFound


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str | None  # None: a service key
    # Which configured key this is ("key-<position>"): what rate limits and logs may name,
    # never the secret itself.
    key_id: str = ""

    def can_access(self, user_id: str) -> bool:
        return self.user_id is None or self.user_id == user_id

    def ensure_can_access(self, user_id: str) -> None:
        """A scoped key on another wallet gets exactly what a missing wallet gets (404),
        so it cannot even learn whether that wallet exists."""
        if not self.can_access(user_id):
            raise WalletNotFound(user_id=user_id)


SERVICE = Principal(user_id=None)
