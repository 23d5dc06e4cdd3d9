"""A wallet's version, and a write made conditional on it (a client's optimistic lock).

Every change of what a client sees of a wallet's balances (available, pending debit,
pending credit, in any currency) gives the wallet a new version, never one it had before.
A client that read version N can ask for a write "only if the wallet is still at N": if
anything changed in between, nothing is written and the client reads again.
"""

from __future__ import annotations

from dataclasses import dataclass

from wallet_domain.model.wallet import Balance


@dataclass(frozen=True, slots=True)
class WalletCondition:
    """Write only if the wallet's version is one of `versions` (none: never)."""

    versions: frozenset[int]

    def holds_for(self, version: int) -> bool:
        return version in self.versions


@dataclass(frozen=True, slots=True)
class PinnedWallet:
    """A wallet locked for a conditional write: its version, and the currencies of the
    balance rows the lock holds (those it had at that version)."""

    user_id: str
    version: int
    currencies: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionedBalances:
    """Balances read together with the version of the whole wallet they belong to (the
    version covers every currency, also when only some are shown)."""

    version: int
    balances: list[Balance]
