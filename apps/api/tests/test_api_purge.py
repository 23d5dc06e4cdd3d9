"""The idempotency purge job: completed records past retention go, nothing else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.ops.idempotency_purge import purge_once
from wallet_api_testkit import Api, StartApi, new_user_id

_INSERT = text(
    """
    INSERT INTO idempotency_keys
        (user_id, key, fingerprint, state, response_status, response_body, created_at,
         completed_at)
    VALUES (:u, :k, 'fp', :state, :status, :body, :at, :done)
    """
)


async def _insert(engine: AsyncEngine, user_id: str, key: str, *, age_h: float, done: bool) -> None:
    at = datetime.now(UTC) - timedelta(hours=age_h)
    async with engine.begin() as conn:
        await conn.execute(
            _INSERT,
            {
                "u": user_id,
                "k": key,
                "state": "COMPLETED" if done else "IN_PROGRESS",
                "status": 201 if done else None,
                "body": b"{}" if done else None,
                "at": at,
                "done": at if done else None,
            },
        )


async def _keys(engine: AsyncEngine, user_id: str) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT key FROM idempotency_keys WHERE user_id = :u"), {"u": user_id}
        )
        return {r.key for r in rows}


async def test_purge_once_deletes_only_old_completed_records(api: Api, engine: AsyncEngine) -> None:
    # Past this call's retention but younger than the 24 h the shared app's own purge loop
    # uses: that loop purges on start-up too, and must not take this test's rows first.
    user_id = new_user_id()
    await _insert(engine, user_id, "old-done", age_h=13, done=True)
    await _insert(engine, user_id, "old-busy", age_h=13, done=False)
    await _insert(engine, user_id, "new-done", age_h=1, done=True)

    deleted = await purge_once(
        api.app.state.dishka_container, retention=timedelta(hours=12), batch=1
    )
    assert deleted >= 1
    assert await _keys(engine, user_id) == {"old-busy", "new-done"}


async def test_lifespan_runs_the_purge_periodically(
    start_api: StartApi, engine: AsyncEngine
) -> None:
    user_id = new_user_id()
    async with start_api(purge_interval_s=0.05):
        await _insert(engine, user_id, "old-done", age_h=25, done=True)
        for _ in range(100):
            if not await _keys(engine, user_id):
                break
            await asyncio.sleep(0.05)
    assert await _keys(engine, user_id) == set()
