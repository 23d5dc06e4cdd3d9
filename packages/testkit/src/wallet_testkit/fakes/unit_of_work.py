"""One request's unit of work over the store (the fake `TransactionManager`)."""

from __future__ import annotations

from wallet_domain.model.idempotency import IdempotencyRecord
from wallet_domain.ports.transaction_manager import TransactionManager

from wallet_testkit.fakes.store import InMemoryDatabase, Tables


class FakeTransactionManager(TransactionManager):
    """One request's unit of work. Reads see the committed state as of the first access
    plus this unit's own writes; commit applies the writes, rollback discards them."""

    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db
        self._base: Tables | None = None
        self._staged: Tables | None = None
        self.commits = 0
        self.rollbacks = 0
        self.fail_next_commit: Exception | None = None

    @property
    def tables(self) -> Tables:
        if self._staged is None:
            self._base = self.db.committed.copy()
            self._staged = self._base.copy()
        return self._staged

    @property
    def has_pending_writes(self) -> bool:
        return self._staged is not None and self._staged != self._base

    def latest_balance(self, user_id: str, currency: str) -> int | None:
        """A balance as a row lock reads it: the latest committed value plus this unit's
        own change (None: no such balance row)."""
        staged = self.tables
        assert self._base is not None
        key = (user_id, currency)
        committed = self.db.committed.balances.get(key)
        if committed is None and key not in staged.balances:
            return None
        return (committed or 0) + staged.balances.get(key, 0) - self._base.balances.get(key, 0)

    def key_holder(self, user_id: str, key: str) -> IdempotencyRecord | None:
        """The record holding an Idempotency-Key as a unique index sees it: staged in this
        unit or committed by any other, even after this unit's snapshot."""
        scope = (user_id, key)
        return self.tables.idempotency.get(scope) or self.db.committed.idempotency.get(scope)

    def wallet_exists(self, user_id: str) -> bool:
        """A wallet as a foreign key sees it: staged in this unit or committed by any other."""
        return user_id in self.tables.wallets or user_id in self.db.committed.wallets

    async def commit(self) -> None:
        if self.fail_next_commit is not None:
            error, self.fail_next_commit = self.fail_next_commit, None
            raise error
        if self._staged is not None and self._base is not None:
            self.db.apply(self._base, self._staged)
        self._end()
        self.commits += 1

    async def rollback(self) -> None:
        self._end()
        self.rollbacks += 1

    def _end(self) -> None:
        self._base = self._staged = None
        for payment_id, holder in list(self.db.locks.items()):
            if holder is self:
                del self.db.locks[payment_id]
