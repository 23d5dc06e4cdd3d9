"""Migration 0035 adds a column to `outbox`: ACCESS EXCLUSIVE, and while it waits for
that lock every payment's outbox insert queues behind it. A relay batch holds its rows
for up to 10 s waiting for the broker's confirms, so the file sets `lock_timeout`: it
gives up after 5 s, having changed nothing, instead of stalling payments. `SET LOCAL`
applies because golang-migrate sends the file as one multi-statement exec (an implicit
transaction): checked with the real CLI.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from typing import Final

import asyncpg
import pytest
from wallet_testkit.db import fetch, migrate_binary, plain_url, private_database

from .shell_stubs import ROOT

pytestmark = pytest.mark.integration

MIGRATIONS: Final = ROOT / "migrations"


def _migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [migrate_binary(), "-path", str(MIGRATIONS), "-database"]
    command += [plain_url(url, sslmode="disable"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


async def _migrate_to_34(url: str) -> None:
    """From the latest version down to 34, whatever the latest is."""
    [row] = await fetch(plain_url(url), "SELECT version FROM schema_migrations")
    done = await asyncio.to_thread(_migrate, url, "down", str(row["version"] - 34))
    assert done.returncode == 0, done.stderr


async def test_0035_gives_up_instead_of_queueing_behind_a_relay_batch() -> None:
    base = os.environ["WALLET_TEST_DATABASE_URL"]
    async with private_database(base, prefix="wallet_test_m0035_", migrations=MIGRATIONS) as url:
        await _migrate_to_34(url)
        relay = await asyncpg.connect(plain_url(url))
        try:
            async with relay.transaction():  # a batch holding claimed rows
                await relay.execute("LOCK TABLE outbox IN ROW SHARE MODE")
                start = time.monotonic()
                run = asyncio.create_task(asyncio.to_thread(_migrate, url, "up", "1"))
                # Held long enough for the timeout to fire; then released either way,
                # so a migration that waits for the lock gets it and succeeds.
                await asyncio.wait({run}, timeout=15)
            refused = await run
            waited = time.monotonic() - start
        finally:
            await relay.close()

        assert refused.returncode != 0
        assert "lock timeout" in refused.stderr, refused.stderr
        assert 4 < waited < 15, waited
        columns = await fetch(
            plain_url(url),
            "SELECT 1 FROM information_schema.columns"
            " WHERE table_name = 'outbox' AND column_name = 'next_attempt_at'",
        )
        assert columns == []  # nothing applied
        # The documented way back: force the last clean version, then migrate again.
        forced = await asyncio.to_thread(_migrate, url, "force", "34")
        assert forced.returncode == 0, forced.stderr
        again = await asyncio.to_thread(_migrate, url, "up")
        assert again.returncode == 0, again.stderr
