"""Migrations: every down really reverses its up, checked with the real `migrate` CLI.

Stairway: on a scratch database, for every version v: up 1, down 1, up 1. After each up the
version is v and clean; after each down the schema is exactly what it was before that up; the
second up rebuilds exactly what the first one built. Finally `down -all` leaves an empty schema.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR: Final = REPO_ROOT / "migrations"
MIGRATION_FILE: Final = re.compile(
    r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.(?P<direction>up|down)\.sql$"
)
MIGRATE_TIMEOUT_S: Final = 60

Snapshot = dict[str, list[tuple[Any, ...]]]

# Everything a migration can create in the database, minus golang-migrate's own bookkeeping.
SNAPSHOT_QUERIES: Final[dict[str, str]] = {
    "schemas": """
        SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1""",
    "extensions": "SELECT extname, extversion FROM pg_extension ORDER BY 1",
    "relations": """
        SELECT n.nspname, c.relname, c.relkind FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
          AND c.relname NOT IN ('schema_migrations', 'schema_migrations_pkey')
        ORDER BY 1, 2""",
    "columns": """
        -- The order among live columns: a column dropped and added again keeps it, while
        -- ordinal_position (attnum) moves on past the dropped one's slot.
        SELECT table_schema, table_name,
               row_number() OVER (PARTITION BY table_schema, table_name
                                  ORDER BY ordinal_position) AS position,
               column_name, data_type, udt_name,
               character_maximum_length, numeric_precision, is_nullable, column_default,
               is_identity, identity_generation, is_generated, generation_expression
        FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
          AND table_name <> 'schema_migrations'
        ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
          AND tablename <> 'schema_migrations'
        ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, c.conrelid::regclass::text, c.conname, c.contype,
               pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND c.conrelid::regclass::text <> 'schema_migrations'
        ORDER BY 1, 2, 3""",
    "triggers": """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
        WHERE NOT t.tgisinternal ORDER BY 1, 2""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind,
               md5(coalesce(p.prosrc, ''))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2, 3""",
    "types": """
        SELECT n.nspname, t.typname, t.typtype,
               (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                FROM pg_enum e WHERE e.enumtypid = t.oid)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND t.typtype IN ('e', 'd', 'r', 'm')
        ORDER BY 1, 2""",
}


def _migration_files() -> dict[int, dict[str, str]]:
    """version -> {direction: name}; fails on any file migrate would not read as a migration."""
    found: dict[int, dict[str, str]] = {}
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = MIGRATION_FILE.match(path.name)
        if match is None:
            pytest.fail(f"migrations/{path.name} is not NNNN_snake_name.(up|down).sql")
        pair = found.setdefault(int(match["version"]), {})
        pair[match["direction"]] = match["name"]
    return found


def _migrate_bin() -> str:
    home_bin = Path.home() / "go/bin/migrate"
    for candidate in (os.environ.get("MIGRATE_BIN"), shutil.which("migrate"), home_bin):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(
        "golang-migrate CLI not found (PATH, ~/go/bin or MIGRATE_BIN): run `bash .ci/run`, or "
        "go install -tags postgres github.com/golang-migrate/migrate/v4/cmd/migrate@latest"
    )


def _with(url: str, *, database: str | None = None, **default_params: str) -> str:
    """`url` on another database and/or with query parameters it does not set already."""
    parts = urlsplit(url)
    query = {**default_params, **dict(parse_qsl(parts.query))}
    path = parts.path if database is None else f"/{database}"
    return urlunsplit(parts._replace(path=path, query=urlencode(query)))


async def _snapshot(conn: asyncpg.Connection) -> Snapshot:
    return {
        name: [tuple(row) for row in await conn.fetch(query)]
        for name, query in SNAPSHOT_QUERIES.items()
    }


def _diff(expected: Snapshot, actual: Snapshot) -> str:
    lines = []
    for name in SNAPSHOT_QUERIES:
        missing = sorted(set(expected[name]) - set(actual[name]), key=repr)
        extra = sorted(set(actual[name]) - set(expected[name]), key=repr)
        lines += [f"  {name}: missing {row}" for row in missing]
        lines += [f"  {name}: left over / changed {row}" for row in extra]
    return "\n".join(lines)


class Migrate:
    """The real CLI against one database."""

    def __init__(self, *, binary: str, database_url: str) -> None:
        self._argv = [binary, "-path", str(MIGRATIONS_DIR), "-database", database_url]

    async def __call__(self, *args: str, check: bool = True) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            *self._argv, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=MIGRATE_TIMEOUT_S)
        output = out.decode().strip()
        if check and proc.returncode != 0:
            pytest.fail(f"migrate {' '.join(args)} exited {proc.returncode}: {output}")
        return proc.returncode or 0, output

    async def version(self) -> str:
        """`migrate version`'s answer: "3", "3 (dirty)", or "none" before any migration."""
        code, output = await self("version", check=False)
        if code != 0:
            if "no migration" in output:
                return "none"
            pytest.fail(f"migrate version exited {code}: {output}")
        return output


@pytest.fixture
async def scratch_database_url() -> AsyncIterator[str]:
    base_url = os.environ.get("WALLET_TEST_DATABASE_URL")
    if not base_url:
        pytest.fail(
            "WALLET_TEST_DATABASE_URL is not set (e.g. "
            "postgresql://wallet:wallet@localhost:5432/wallet_test); `bash .ci/run` sets it up"
        )
    base_url = base_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"wallet_stairway_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(base_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield _with(base_url, database=name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def test_every_up_has_a_down_and_versions_are_contiguous() -> None:
    files = _migration_files()

    assert files, "no migrations found"
    assert sorted(files) == list(range(1, len(files) + 1)), f"versions not 1..N: {sorted(files)}"
    for version, pair in sorted(files.items()):
        assert set(pair) == {"up", "down"}, f"version {version:04d} has only {sorted(pair)}"
        assert pair["up"] == pair["down"], f"version {version:04d}: {pair['up']} vs {pair['down']}"


@pytest.mark.integration
async def test_stairway_up_down_up_for_every_version(scratch_database_url: str) -> None:
    migrate = Migrate(
        binary=_migrate_bin(),
        database_url=_with(scratch_database_url, sslmode="disable"),
    )
    files = _migration_files()
    conn = await asyncpg.connect(scratch_database_url)
    try:
        empty = before = await _snapshot(conn)
        for version in sorted(files):
            name = f"{version:04d}_{files[version]['up']}"

            await migrate("up", "1")
            assert await migrate.version() == str(version), f"{name}: version after up"
            after_up = await _snapshot(conn)

            await migrate("down", "1")
            assert await migrate.version() == (str(version - 1) if version > 1 else "none")
            after_down = await _snapshot(conn)
            assert after_down == before, f"{name}.down.sql does not reverse its up:\n" + _diff(
                before, after_down
            )

            await migrate("up", "1")
            assert await migrate.version() == str(version), f"{name}: version after re-up"
            again = await _snapshot(conn)
            assert again == after_up, f"{name}: up after down differs:\n" + _diff(after_up, again)
            before = after_up

        await migrate("down", "-all")
        assert await migrate.version() == "none"
        final = await _snapshot(conn)
        assert final == empty, "down -all left objects behind:\n" + _diff(empty, final)
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        assert [row["tablename"] for row in tables] == ["schema_migrations"]
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 0
    finally:
        await conn.close()


def test_make_migrate_force_without_version_is_refused() -> None:
    inherited = {"V", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in inherited}

    result = subprocess.run(
        ["make", "-s", "migrate-force"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "V is required" in result.stderr


# A payment of 300 charged back in full before 0024, and one refunded 100 by its provider
# and then charged back 300 (given back 400: the bug 0024 closes).
_CHARGED_BACK_BEFORE_0024: Final = """
INSERT INTO wallets (user_id) VALUES ('mig-0024');
INSERT INTO wallet_balances (user_id, currency, balance) VALUES ('mig-0024', 'USD', 1500);
INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,
                          external_reference, created_at, updated_at)
SELECT p.id, 'mig-0024', 'PAYMENT', 'APPROVED', -300, 'USD', s.id, p.ref, now(), now()
FROM (VALUES ('01890000-0000-7000-8000-000000000001'::uuid, 'bill-1'),
             ('01890000-0000-7000-8000-000000000002'::uuid, 'bill-2')) AS p (id, ref),
     (SELECT id FROM service_providers LIMIT 1) AS s;
UPDATE transactions SET refunded_amount = 100 WHERE id = '01890000-0000-7000-8000-000000000002';
INSERT INTO disputes (id, payment_id, user_id, amount, currency, reason, status, created_at,
                      updated_at)
SELECT d, p, 'mig-0024', 300, 'USD', 'fraud', 'OPEN', now(), now()
FROM (VALUES ('01890000-0000-7000-8000-0000000000d1'::uuid,
              '01890000-0000-7000-8000-000000000001'::uuid),
             ('01890000-0000-7000-8000-0000000000d2'::uuid,
              '01890000-0000-7000-8000-000000000002'::uuid)) AS x (d, p);
UPDATE disputes SET status = 'UNDER_REVIEW' WHERE user_id = 'mig-0024';
UPDATE disputes SET status = 'SUBMITTED' WHERE user_id = 'mig-0024';
UPDATE disputes SET status = 'WON' WHERE user_id = 'mig-0024';
INSERT INTO transactions (id, user_id, type, status, amount, currency, dispute_id, created_at,
                          updated_at)
SELECT gen_random_uuid(), 'mig-0024', 'CHARGEBACK', 'COMPLETED', 300, 'USD', id, now(), now()
FROM disputes WHERE user_id = 'mig-0024';
"""


@pytest.mark.integration
async def test_0024_counts_the_chargebacks_credited_before_it(scratch_database_url: str) -> None:
    migrate = Migrate(
        binary=_migrate_bin(), database_url=_with(scratch_database_url, sslmode="disable")
    )
    await migrate("goto", "23")
    conn = await asyncpg.connect(scratch_database_url)
    try:
        await conn.execute(_CHARGED_BACK_BEFORE_0024)
        await migrate("up")
        rows = await conn.fetch(
            "SELECT external_reference, refunded_amount, charged_back_amount FROM transactions"
            " WHERE user_id = 'mig-0024' AND type = 'PAYMENT' ORDER BY 1"
        )
        # Counted, within the amount from now on: nothing is left to refund or dispute.
        assert [tuple(row) for row in rows] == [("bill-1", 0, 300), ("bill-2", 100, 200)]
    finally:
        await conn.close()


# A FAILED payment refunded here that the provider had charged: reconciliation re-debited
# it and recorded the correction.
_REDEBITED_PAYMENT: Final = """
INSERT INTO wallets (user_id) VALUES ('mig-0023');
INSERT INTO wallet_balances (user_id, currency, balance) VALUES ('mig-0023', 'USD', 700);
INSERT INTO transactions (id, user_id, type, status, amount, currency, created_at, updated_at)
VALUES ('01890000-0000-7000-8000-0000000000a1', 'mig-0023', 'DEPOSIT', 'COMPLETED', 1000, 'USD',
        now(), now());
INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,
                          external_reference, refund_of, created_at, updated_at)
SELECT t.id, 'mig-0023', t.type, t.status, t.amount, 'USD', s.id, 'bill-1', t.refund_of, now(),
       now()
FROM (VALUES ('01890000-0000-7000-8000-0000000000a2'::uuid, 'PAYMENT', 'FAILED', -300, NULL),
             ('01890000-0000-7000-8000-0000000000a3'::uuid, 'REFUND', 'COMPLETED', 300,
              '01890000-0000-7000-8000-0000000000a2'::uuid),
             ('01890000-0000-7000-8000-0000000000a4'::uuid, 'REDEBIT', 'COMPLETED', -300, NULL))
     AS t (id, type, status, amount, refund_of),
     (SELECT id FROM service_providers LIMIT 1) AS s;
INSERT INTO reconciliation_corrections (payment_id, kind, user_id, amount, currency,
                                        transaction_id, reason, created_at)
VALUES ('01890000-0000-7000-8000-0000000000a2', 'REDEBIT', 'mig-0023', 300, 'USD',
        '01890000-0000-7000-8000-0000000000a4', 'charged by the provider', now());
"""


@pytest.mark.integration
async def test_0023_down_refuses_while_redebits_exist(scratch_database_url: str) -> None:
    """Going down would leave REDEBIT rows the restored checks forbid and lose the record
    of which payment each corrected, so reconciliation would re-debit it again."""
    migrate = Migrate(
        binary=_migrate_bin(), database_url=_with(scratch_database_url, sslmode="disable")
    )
    await migrate("goto", "23")
    conn = await asyncpg.connect(scratch_database_url)
    try:
        await conn.execute(_REDEBITED_PAYMENT)
        status, output = await migrate("goto", "22", check=False)
        assert status != 0
        assert "REDEBIT rows exist" in output
        assert await conn.fetchval("SELECT to_regclass('reconciliation_corrections')") is not None
    finally:
        await conn.close()


# Walks a new dispute (on an APPROVED payment of its own) along the graph to each status.
_DISPUTE_WALKS: Final = {
    "OPEN": [],
    "UNDER_REVIEW": ["UNDER_REVIEW"],
    "SUBMITTED": ["UNDER_REVIEW", "SUBMITTED"],
}
# Then the way to a final state from there.
_FINAL_FROM: Final = {"OPEN": "CANCELED", "UNDER_REVIEW": "CANCELED", "SUBMITTED": "LOST"}


async def _dispute_in(conn: asyncpg.Connection, status: str) -> uuid.UUID:
    payment, dispute = uuid.uuid4(), uuid.uuid4()
    await conn.execute(
        "INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,"
        " external_reference, created_at, updated_at) SELECT $1, 'mig-0021', 'PAYMENT',"
        " 'APPROVED', -100, 'USD', id, $2, now(), now() FROM service_providers LIMIT 1",
        payment,
        f"bill-{payment}",
    )
    await conn.execute(
        "INSERT INTO disputes (id, payment_id, user_id, amount, currency, reason, status,"
        " created_at, updated_at) VALUES ($1, $2, 'mig-0021', 100, 'USD', 'r', 'OPEN', now(),"
        " now())",
        dispute,
        payment,
    )
    for step in _DISPUTE_WALKS[status]:
        await conn.execute("UPDATE disputes SET status = $2 WHERE id = $1", dispute, step)
    return dispute


@pytest.mark.integration
async def test_0021_down_refuses_while_a_dispute_is_not_final(scratch_database_url: str) -> None:
    """Going down drops the disputes: a client's dispute still being decided would vanish
    with no trace. Each state that is not final refuses it on its own; once every dispute
    is final (and no chargeback was booked), the down runs."""
    migrate = Migrate(
        binary=_migrate_bin(), database_url=_with(scratch_database_url, sslmode="disable")
    )
    await migrate("goto", "21")
    conn = await asyncpg.connect(scratch_database_url)
    try:
        await conn.execute("INSERT INTO wallets (user_id) VALUES ('mig-0021')")
        for status in _DISPUTE_WALKS:
            dispute = await _dispute_in(conn, status)

            code, output = await migrate("goto", "20", check=False)

            assert code != 0, f"0021's down dropped a {status} dispute"
            assert "disputes are not final" in output, output
            assert await conn.fetchval("SELECT status FROM disputes WHERE id = $1", dispute) == (
                status
            )
            await migrate("force", "21")
            await conn.execute(
                "UPDATE disputes SET status = $2 WHERE id = $1", dispute, _FINAL_FROM[status]
            )

        await migrate("goto", "20")
        assert await migrate.version() == "20"
    finally:
        await conn.close()
