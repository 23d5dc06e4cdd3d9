"""A money-moving write made conditional on the wallet's version (If-Match).

A domain service shared by the writes that take money into or out of a wallet (payment,
deposit, hold, transfer from it), like PaymentSettlement: REQUEST-scoped, on the same
unit of work as the write. The check and the write are one unit: `WalletVersions.lock` pins the
wallet (its balance rows stay locked until the write commits), so the version compared is
the one the write applies to, and two clients writing on the same version cannot both
win.

A mismatch writes nothing and leaves the Idempotency-Key free: the client reads again and
retries with the same key. A key that already holds a reply is the exception: its first
request may be what changed the wallet, so the request goes on unconditionally and the
usual idempotency rules answer it (the stored reply replayed, 422 for another body, 409
while in flight), exactly as without If-Match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wallet_domain.errors import PreconditionFailed
from wallet_domain.model.wallet_version import PinnedWallet, WalletCondition
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.ports.wallet_versions import WalletVersions


class WritePrecondition(Protocol):
    """The If-Match check a money-moving write makes before it writes anything."""

    async def ensure(
        self,
        condition: WalletCondition | None,
        *,
        user_id: str,
        key: str,
        receiver: tuple[str, str] | None = None,
    ) -> PinnedWallet | None: ...

    async def debited(self, pinned: PinnedWallet | None, currency: str) -> None:
        """After the write debited `currency`: PreconditionFailed (rolled back) if that
        balance row was not one the pin held (see WalletPrecondition.debited)."""
        ...


class Unconditional(WritePrecondition):
    """For a use case wired to take unconditional writes only (its ports hold no
    transaction a lock could live in): a condition given to it is a wiring error, raised
    before anything is written."""

    async def ensure(
        self,
        condition: WalletCondition | None,
        *,
        user_id: str,
        key: str,
        receiver: tuple[str, str] | None = None,
    ) -> PinnedWallet | None:
        if condition is not None:
            raise RuntimeError("a conditional write reached a use case wired without If-Match")
        return None

    async def debited(self, pinned: PinnedWallet | None, currency: str) -> None:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletPrecondition(WritePrecondition):
    """The check, bound to the request's unit of work (its ports share one transaction)."""

    versions: WalletVersions
    idempotency: IdempotencyStore
    tx: TransactionManager

    async def ensure(
        self,
        condition: WalletCondition | None,
        *,
        user_id: str,
        key: str,
        receiver: tuple[str, str] | None = None,
    ) -> PinnedWallet | None:
        """Return the wallet locked at a version `condition` accepts (or None, nothing
        locked, when there is no condition, no such wallet (the write answers 404), or the
        key already holds a reply); raise PreconditionFailed, with nothing written,
        otherwise. `receiver`: a transfer's (user_id, currency), see WalletVersions.lock."""
        if condition is None:
            return None
        pinned = await self.versions.lock(user_id, receiver=receiver)
        if pinned is None or condition.holds_for(pinned.version):
            return pinned
        await self.tx.rollback()
        if await self.idempotency.get(user_id, key) is None:
            raise PreconditionFailed(user_id=user_id)
        return None

    async def debited(self, pinned: PinnedWallet | None, currency: str) -> None:
        """The write, not committed yet, debited `currency`. The lock holds the balance
        rows the wallet had at the version checked; one created since by a write without a
        condition (a first deposit in that currency) is not among them, and the write may
        have spent it. At the version checked there was no such money, and the wallet has
        changed since: roll back, PreconditionFailed (the key left free)."""
        if pinned is None or currency in pinned.currencies:
            return
        await self.tx.rollback()
        raise PreconditionFailed(user_id=pinned.user_id)

    async def ensure_after_claim(self, condition: WalletCondition | None, *, user_id: str) -> None:
        """`ensure` for a write that claimed its key first, in this unit of work (a key
        holding a reply was answered by the claim): a mismatch rolls the claim back with
        everything else, so the key is left free, and raises PreconditionFailed. Taking
        the key before the wallet is the order an unconditional write of the same key
        takes them in, so the two wait for each other instead of deadlocking."""
        if condition is None:
            return
        pinned = await self.versions.lock(user_id)
        if pinned is None or condition.holds_for(pinned.version):
            return
        await self.tx.rollback()
        raise PreconditionFailed(user_id=user_id)
