from __future__ import annotations

from typing import Protocol

from wallet_domain.model.wallet_version import PinnedWallet


class WalletVersions(Protocol):
    """Pins a wallet's version for the rest of the caller's transaction, so a write made
    conditional on that version cannot race another change of the wallet."""

    async def lock(
        self, user_id: str, *, receiver: tuple[str, str] | None = None
    ) -> PinnedWallet | None:
        """Lock the wallet and every balance row it has until the transaction ends (so no
        other conditional write on it runs meanwhile, and none of its balances changes)
        and return its version and those rows' currencies; None if there is no such
        wallet. A balance row created meanwhile by a write without a condition is not
        held: see `WalletPrecondition.debited`. `receiver`
        (user_id, currency) also locks that balance row, in the same global order as a
        transfer takes both, so a conditional transfer cannot deadlock with another."""
        ...
