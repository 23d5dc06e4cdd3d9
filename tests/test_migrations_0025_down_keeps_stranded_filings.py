"""Migration 0025's down refuses while a dispute filing is stranded (`filing_key` set).

`filing_key` is the only thing that brings a stranded dispute filing (provider did not
answer, or the process stopped before storing the reply) to the recovery worker
(`WHERE filing_key IS NOT NULL`), which stores the reply under the client's
Idempotency-Key. Dropped by the down and added back empty by the up, the key would stay
IN_PROGRESS for good: the purge deletes only answered records, so every retry of that
request would answer 409 IDEMPOTENCY_IN_PROGRESS forever. Like the downs of 0014, 0015,
0019, 0021 and 0023, it refuses instead, and runs once no filing awaits its reply.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from typing import Final

import pytest
from wallet_testkit.db import execute, fetch, migrate_binary, plain_url, private_database

from .shell_stubs import ROOT

pytestmark = pytest.mark.integration

MIGRATIONS: Final = ROOT / "migrations"
PAYMENT_ID: Final = "01890a5d-0000-7000-8000-000000000001"
DISPUTE_ID: Final = "01890a5d-0000-7000-8000-0000000000d1"


def _migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [migrate_binary(), "-path", str(MIGRATIONS), "-database"]
    command += [plain_url(url, sslmode="disable"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


async def _migrate_to_25(url: str) -> None:
    """From the latest version down to 25, whatever the latest is."""
    [row] = await fetch(plain_url(url), "SELECT version FROM schema_migrations")
    steps = row["version"] - 25
    if steps:
        done = await asyncio.to_thread(_migrate, url, "down", str(steps))
        assert done.returncode == 0, done.stderr


async def test_the_down_of_0025_refuses_while_a_filing_awaits_its_reply() -> None:
    base = os.environ["WALLET_TEST_DATABASE_URL"]
    async with private_database(base, prefix="wallet_test_m0025_", migrations=MIGRATIONS) as url:
        plain = plain_url(url)
        await execute(plain, "INSERT INTO wallets (user_id) VALUES ('alice')")
        await execute(
            plain,
            "INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,"
            f" external_reference, created_at, updated_at) SELECT '{PAYMENT_ID}', 'alice',"
            " 'PAYMENT', 'APPROVED', -100, 'USD', id, 'bill', now(), now()"
            " FROM service_providers LIMIT 1",
        )
        # A dispute whose filing has no stored reply yet (what open_dispute writes before
        # calling the provider).
        await execute(
            plain,
            "INSERT INTO disputes (id, payment_id, user_id, amount, currency, reason, status,"
            f" filing_key, created_at, updated_at) VALUES ('{DISPUTE_ID}', '{PAYMENT_ID}',"
            " 'alice', 100, 'USD', 'r', 'OPEN', 'client-key-1', now() - interval '1 hour',"
            " now() - interval '1 hour')",
        )
        await _migrate_to_25(url)

        down = await asyncio.to_thread(_migrate, url, "down", "1")

        assert down.returncode != 0, "0025's down dropped a stranded filing's key"
        assert "filing_key" in down.stderr, down.stderr
        [row] = await fetch(plain, "SELECT filing_key FROM disputes")
        assert row["filing_key"] == "client-key-1"

        # Once recovery stored the reply (the key cleared), the down runs.
        forced = await asyncio.to_thread(_migrate, url, "force", "25")
        assert forced.returncode == 0, forced.stderr
        await execute(plain, "UPDATE disputes SET filing_key = NULL")
        down = await asyncio.to_thread(_migrate, url, "down", "1")
        assert down.returncode == 0, down.stderr
