"""A streaming replica of the test server, driven from tests: wait for it to catch up,
pause and resume its replay, stop and start it.

Pausing replay (`pg_wal_replay_pause()`) leaves the replica up and answering while it
falls behind, which is how the lag tests make it stale on purpose; every test that pauses
or stops it resumes or starts it in a `finally` (`paused`, `stopped`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import pytest
from sqlalchemy.engine import make_url

from wallet_testkit.db import fetch, plain_url
from wallet_testkit.polling import eventually

REPLICA_URL_ENV: Final = "WALLET_TEST_REPLICA_URL"
CATCH_UP_TIMEOUT_S: Final = 30.0
CLUSTER_TIMEOUT_S: Final = 60.0


def replica_test_url(database_url: str) -> str:
    """The test database (of `database_url`) as the streaming replica of the test server
    serves it, from `WALLET_TEST_REPLICA_URL` (its database part is replaced by the test
    database's). Unset: the calling test is skipped with the reason, except under CI (`CI`
    set), where it fails: `bash .ci/run` always makes one. Set but not a standby: it
    fails."""
    configured = os.environ.get(REPLICA_URL_ENV)
    if not configured:
        reason = (
            f"no read replica: set {REPLICA_URL_ENV}=postgresql://user:pass@host:5433/db (a "
            "streaming replica of the test server; `bash .ci/run` makes one on port 5433)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    database = make_url(database_url).database
    url = make_url(plain_url(configured)).set(database=database)
    rendered = url.render_as_string(hide_password=False)
    try:
        standby = asyncio.run(fetch(rendered, "SELECT pg_is_in_recovery()"))[0][0]
    except Exception as error:
        pytest.fail(f"{REPLICA_URL_ENV} does not answer: {type(error).__name__}")
    if not standby:
        pytest.fail(f"{REPLICA_URL_ENV} names a server that is not a standby")
    return rendered


class Replica:
    """The replica at `url`, streaming from the primary at `primary_url` (same database)."""

    def __init__(self, *, url: str, primary_url: str) -> None:
        self.url = url
        self.primary_url = primary_url

    @property
    def port(self) -> int:
        return make_url(self.url).port or 5432

    async def in_recovery(self) -> bool:
        return bool((await fetch(self.url, "SELECT pg_is_in_recovery()"))[0][0])

    async def caught_up(self, *, timeout_s: float = CATCH_UP_TIMEOUT_S) -> None:
        """Until the replica has replayed everything the primary had written when called."""
        target = (await fetch(self.primary_url, "SELECT pg_current_wal_lsn()::text"))[0][0]

        async def replayed() -> bool:
            rows = await fetch(
                self.url, "SELECT pg_last_wal_replay_lsn() >= CAST($1::text AS pg_lsn)", target
            )
            return bool(rows[0][0])

        await eventually(replayed, timeout_s=timeout_s)

    async def pause(self) -> None:
        await fetch(self.url, "SELECT pg_wal_replay_pause()")

    async def resume(self) -> None:
        await fetch(self.url, "SELECT pg_wal_replay_resume()")

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Replay paused (after the replica caught up) for the block, resumed after."""
        await self.caught_up()
        await self.pause()
        try:
            yield
        finally:
            await self.resume()

    @asynccontextmanager
    async def stopped(self) -> AsyncIterator[None]:
        """The replica's cluster stopped for the block (`pg_ctlcluster`), then started and
        streaming again."""
        await asyncio.to_thread(self._pg_ctlcluster, "stop")
        try:
            yield
        finally:
            await asyncio.to_thread(self._pg_ctlcluster, "start")
            await eventually(self._answers, timeout_s=CLUSTER_TIMEOUT_S, interval_s=0.2)
            await self.caught_up()

    async def _answers(self) -> bool:
        try:
            return await self.in_recovery()
        except Exception:  # refused, or still starting up
            return False

    def _pg_ctlcluster(self, action: str) -> None:
        version, name = self._cluster()
        command = ["pg_ctlcluster", version, name, action]
        if os.geteuid() != 0:
            command = ["sudo", "-n", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=CLUSTER_TIMEOUT_S)  # noqa: S603

    def _cluster(self) -> tuple[str, str]:
        """The local cluster (version, name) listening on the replica's port."""
        lister = shutil.which("pg_lsclusters")
        assert lister is not None, "stopping the replica needs Debian's pg_lsclusters"
        listing = subprocess.run(  # noqa: S603 - fixed binary, no arguments from outside
            [lister, "-h"], check=True, capture_output=True, text=True, timeout=10
        ).stdout
        for line in listing.splitlines():
            version, name, port, *_ = line.split()
            if int(port) == self.port:
                return version, name
        raise AssertionError(f"no local PostgreSQL cluster listens on port {self.port}")
