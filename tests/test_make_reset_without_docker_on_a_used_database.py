"""`make reset-local`, what `make reset` without Docker (and the README) tells an operator to
run, empties a used database and migrates it again.

It once said `make migrate-down N=all && make migrate-up`. The downs of 0014, 0015, 0019,
0021, 0023 and 0025 deliberately refuse while rows of their kind exist (holds and pending
deposits, transfers, provider refunds, chargebacks, re-debits, stranded filings), so on any
database used for more than plain payments that recipe stopped half way and left the
schema dirty (`13 (dirty)` after one pending deposit), and `migrate-up` then refused too.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy.engine import make_url
from wallet_testkit.db import execute, fetch, plain_url, private_database

from .shell_stubs import MAKE_STATE, ROOT

MIGRATIONS: Final = ROOT / "migrations"
SCRIPT: Final = ROOT / "scripts" / "recreate_database.py"


def _make(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in MAKE_STATE}
    env["DATABASE_URL"] = plain_url(database_url, sslmode="disable")
    env["PATH"] = f"{Path.home() / 'go/bin'}:{env.get('PATH', '')}"
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.integration
async def test_make_reset_local_empties_a_used_database_and_migrates_it() -> None:
    base = os.environ["WALLET_TEST_DATABASE_URL"]
    async with private_database(base, prefix="wallet_test_reset_", migrations=MIGRATIONS) as url:
        plain = plain_url(url)
        [before] = await fetch(plain, "SELECT version FROM schema_migrations")
        # One wallet with one two-phase (PENDING) deposit, what POST /deposits
        # {"two_phase": true} writes: 0014's down refuses while it exists.
        await execute(plain, "INSERT INTO wallets (user_id) VALUES ('alice')")
        await execute(
            plain,
            "INSERT INTO wallet_balances (user_id, currency, balance, pending_credit)"
            " VALUES ('alice', 'USD', 0, 100)",
        )
        await execute(
            plain,
            "INSERT INTO transactions (id, user_id, type, status, amount, currency,"
            " created_at, updated_at) VALUES (gen_random_uuid(), 'alice', 'DEPOSIT',"
            " 'PENDING', 100, 'USD', now(), now())",
        )

        done = await asyncio.to_thread(_make, "reset-local", database_url=url)

        assert done.returncode == 0, done.stderr
        assert f":{make_url(url).password}@" not in done.stdout + done.stderr
        [row] = await fetch(plain, "SELECT count(*) AS n FROM wallets")
        assert row["n"] == 0
        [after] = await fetch(plain, "SELECT version, dirty FROM schema_migrations")
        assert (after["version"], after["dirty"]) == (before["version"], False)


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql://wallet:s3cret-pw@db.example.com:5432/wallet",  # not this machine
        "postgresql://wallet:s3cret-pw@localhost:5432/postgres",  # PostgreSQL's own
        "postgresql://wallet:s3cret-pw@localhost:5432",  # no database named
        "not a url s3cret-pw",
    ],
)
def test_the_reset_refuses_what_it_must_not_drop_without_echoing_the_url(
    database_url: str,
) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "error:" in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout
