"""The process's read replicas: an engine each and what the last check found."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from wallet_infra.persistence.engine import make_session_factory


def replica_label(url: str) -> str:
    """`host:port` of a PostgreSQL URL: how logs, metrics and `/readyz` name a replica
    (its URL holds credentials)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}"


@dataclass(slots=True, eq=False)
class Replica:
    """One replica: `engine` serves the requests' reads, `probe_engine` (one connection)
    the background check, so a check never queues behind requests for a pooled connection
    and a busy replica is not taken for a down one. Not up until a check has reached it,
    so a process starts reading from the primary only."""

    label: str
    engine: AsyncEngine
    probe_engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    up: bool = False
    lag_s: float = math.nan
    checked: bool = False  # a check has run (down from the start is news too)

    def __post_init__(self) -> None:
        self.sessions = make_session_factory(self.engine)

    def fit(self, max_lag_s: float) -> bool:
        return self.up and self.lag_s <= max_lag_s


class ReplicaSet:
    """Replicas in configuration order; `pick` hands out the fit ones in turn."""

    def __init__(self, replicas: Sequence[Replica], *, max_lag_s: float) -> None:
        self.replicas = tuple(replicas)
        self.max_lag_s = max_lag_s
        self._turn = itertools.count()

    def pick(self) -> Replica | None:
        """The next fit replica, round-robin; None if none is (read from the primary)."""
        if not self.replicas:
            return None
        fit = [replica for replica in self.replicas if replica.fit(self.max_lag_s)]
        return fit[next(self._turn) % len(fit)] if fit else None

    def in_use(self, replica: Replica) -> bool:
        return replica.fit(self.max_lag_s)

    @staticmethod
    def mark_down(replica: Replica) -> None:
        """A read failed there: skip it until a check reaches it again."""
        replica.up = False
        replica.lag_s = math.nan

    async def dispose(self) -> None:
        for replica in self.replicas:
            await replica.engine.dispose()
            await replica.probe_engine.dispose()
