"""The idempotency purge job: completed records past retention go, nothing else.

Each test runs on a database of its own, so the purge's count is exactly its rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg  # type: ignore[import-untyped]
from wallet_api.ops.idempotency_purge import purge_once
from wallet_api_testkit import StartApi, new_user_id
from wallet_testkit.db import fetch
from wallet_testkit.polling import eventually

PURGED_TIMEOUT_S: Final = 10.0
_INSERT: Final = """
    INSERT INTO idempotency_keys
        (user_id, key, fingerprint, state, response_status, response_body, created_at,
         completed_at)
    VALUES ($1, $2, 'fp', $3, $4, $5, $6, $7)
"""


async def _insert(database_url: str, user_id: str, key: str, *, age_h: float, done: bool) -> None:
    at = datetime.now(UTC) - timedelta(hours=age_h)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            _INSERT,
            user_id,
            key,
            "COMPLETED" if done else "IN_PROGRESS",
            201 if done else None,
            b"{}" if done else None,
            at,
            at if done else None,
        )
    finally:
        await connection.close()


async def _keys(database_url: str) -> set[tuple[str, str]]:
    rows = await fetch(database_url, "SELECT user_id, key FROM idempotency_keys")
    return {(row["user_id"], row["key"]) for row in rows}


async def test_purge_once_deletes_only_old_completed_records(
    start_api: StartApi, own_database_url: str
) -> None:
    user_id = new_user_id()
    # Past this call's retention but younger than the 24 h the app's own purge loop uses
    # (it purges on start-up too, and must not take this test's rows first).
    await _insert(own_database_url, user_id, "old-done", age_h=13, done=True)
    await _insert(own_database_url, user_id, "old-busy", age_h=13, done=False)
    await _insert(own_database_url, user_id, "new-done", age_h=1, done=True)
    await _insert(own_database_url, user_id, "old-done-2", age_h=20, done=True)

    async with start_api(database_url=own_database_url) as api:
        deleted = await purge_once(
            api.app.state.dishka_container, retention=timedelta(hours=12), batch=1
        )

    assert deleted == 2  # in batches of one: the loop went on until a batch came up short
    assert await _keys(own_database_url) == {(user_id, "old-busy"), (user_id, "new-done")}


async def test_lifespan_runs_the_purge_periodically(
    start_api: StartApi, own_database_url: str
) -> None:
    user_id = new_user_id()
    async with start_api(database_url=own_database_url, purge_interval_s=0.05):
        # Inserted after start-up: only a later round of the loop can delete it.
        await _insert(own_database_url, user_id, "old-done", age_h=25, done=True)
        await _insert(own_database_url, user_id, "new-done", age_h=1, done=True)

        async def purged() -> bool:
            return await _keys(own_database_url) == {(user_id, "new-done")}

        await eventually(purged, timeout_s=PURGED_TIMEOUT_S)
