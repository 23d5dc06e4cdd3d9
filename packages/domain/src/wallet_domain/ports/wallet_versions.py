from __future__ import annotations

from typing import Protocol


class WalletVersions(Protocol):
    """Pins a wallet's version for the rest of the caller's transaction, so a write made
    conditional on that version cannot race another change of the wallet."""

    async def lock(self, user_id: str, *, receiver: tuple[str, str] | None = None) -> int | None:
        """Lock the wallet and every balance row it has until the transaction ends (so no
        other conditional write on it runs meanwhile, and none of its balances changes)
        and return its version; None if there is no such wallet. `receiver`
        (user_id, currency) also locks that balance row, in the same global order as a
        transfer takes both, so a conditional transfer cannot deadlock with another."""
        ...
