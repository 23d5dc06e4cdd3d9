"""One request's lag-tolerant reads: on the replica picked for it, else on the primary."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from wallet_infra.persistence.driver import STATEMENT_FAILED
from wallet_infra.read_replicas.metrics import READS_ON_PRIMARY, READS_ON_REPLICA
from wallet_infra.read_replicas.replica_set import Replica, ReplicaSet

_log = structlog.get_logger("wallet.replicas")
_T = TypeVar("_T")
# What a replica read may fail with: the driver's errors (a query cancelled by a replay
# conflict among them), a refused or lost socket, a connection attempt that timed out, no
# pooled connection free in time (the replica is stuck or swamped: the primary answers);
# the same from the statements run on the driver directly.
_REPLICA_FAILURES = (DBAPIError, OSError, TimeoutError, PoolTimeout, *STATEMENT_FAILED)


class ReadConsistency(StrEnum):
    EVENTUAL = "eventual"  # a fit replica may answer
    STRONG = "strong"  # the primary answers (the client reads its own writes)


def _always(_: object) -> bool:
    return True


class ReadRouter:
    """The replica is picked once, when the request starts, so every read of a request
    sees one server (a page and the wallet check behind it agree). Each read runs there
    first; it runs again on the primary when `settled` refuses the replica's answer (not
    found, not final) or the replica fails, and a failed replica is marked down for every
    request until the monitor reaches it again."""

    def __init__(
        self, *, replicas: ReplicaSet, primary: AsyncSession, consistency: ReadConsistency
    ) -> None:
        self.primary = primary
        self._replica = None if consistency is ReadConsistency.STRONG else replicas.pick()
        self._session: AsyncSession | None = None

    @property
    def replica(self) -> Replica | None:
        """Where this request's reads go first (None: the primary only)."""
        return self._replica

    async def read(
        self,
        statement: Callable[[AsyncSession], Awaitable[_T]],
        *,
        settled: Callable[[_T], bool] = _always,
    ) -> _T:
        """`statement` on the replica's session if it answers and `settled` accepts
        that, else on the primary's."""
        replica = self._replica
        if replica is not None:
            try:
                found = await statement(self._replica_session(replica))
            except _REPLICA_FAILURES as error:
                failure = type(error).__name__
                _log.warning("replica_read_failed", replica=replica.label, error=failure)
                ReplicaSet.mark_down(replica)
                await self.close()
                self._replica = None
            else:
                READS_ON_REPLICA.inc()
                if settled(found):
                    return found
        READS_ON_PRIMARY.inc()
        return await statement(self.primary)

    def _replica_session(self, replica: Replica) -> AsyncSession:
        if self._session is None:
            self._session = replica.sessions()
        return self._session

    async def close(self) -> None:
        """Ends the replica session (read-only: nothing to commit), if one was opened."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()
