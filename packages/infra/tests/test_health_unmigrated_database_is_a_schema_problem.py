"""README troubleshooting: "`/readyz` is 503: the body names the failed check: `database`
(PostgreSQL down or credentials wrong: `WALLET_DATABASE_URL`), ... or `schema` (migrations
not applied, another version, or dirty: `make migrate`)".

On a reachable database where no migration ran yet (the first thing an operator meets on a
fresh machine who skipped `make migrate`), `SELECT ... FROM schema_migrations` fails with
undefined_table. The probe once reported that as `database: unreachable`, `schema:
unknown`, sending the operator to PostgreSQL's address and credentials instead of to
`make migrate`; it reports `database: ok`, `schema: not_migrated`.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy.engine import make_url
from wallet_infra.config.schema import EXPECTED_SCHEMA_VERSION
from wallet_infra.health import database_and_schema
from wallet_infra.persistence.engine import make_engine
from wallet_testkit.db import execute, plain_url

pytestmark = pytest.mark.integration


async def test_a_database_without_migrations_is_reported_as_a_schema_problem() -> None:
    admin = plain_url(os.environ["WALLET_TEST_DATABASE_URL"])
    name = f"wallet_test_unmigrated_{uuid.uuid4().hex[:10]}"
    await execute(admin, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url, pool_size=1)
        try:
            check = database_and_schema(engine, expected_version=EXPECTED_SCHEMA_VERSION)
            result = await check()
        finally:
            await engine.dispose()
        assert result == {"database": "ok", "schema": "not_migrated"}
    finally:
        await execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
