"""Hold expiry through the real app: due holds are released once, EXPIRED, by the worker
or by the completion or revert that reaches them after their deadline (refused: a lapsed
hold is never captured), and requests racing the worker yield one outcome per hold."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api.ops.hold_expiry import expire_once
from wallet_api_testkit import (
    Api,
    ShiftedClock,
    ShiftedClockProvider,
    StartApi,
    assert_error,
    created,
    fetch,
    wallet_etag,
)
from wallet_testkit.polling import eventually


async def _hold(api: Api, user_id: str, amount: int, expires_in_s: int) -> dict[str, Any]:
    return created(await api.hold(user_id, amount, expires_in_s=expires_in_s))


def _due(engine: AsyncEngine, hold: dict[str, Any]) -> Any:
    """A check that `hold` is past its deadline by the database's clock (the one that
    decides)."""

    async def due() -> bool:
        expires_at = datetime.fromisoformat(hold["expires_at"])
        [row] = await fetch(engine, "SELECT now() >= :e AS due", e=expires_at)
        return bool(row.due)

    return due


async def _events(engine: AsyncEngine, user_id: str) -> dict[str, list[str]]:
    rows = await fetch(
        engine,
        "SELECT aggregate_id::text AS id, event_type FROM outbox"
        " WHERE user_id = :u AND event_type LIKE 'hold.%' ORDER BY event_id",
        u=user_id,
    )
    events: dict[str, list[str]] = {}
    for row in rows:
        events.setdefault(row.id, []).append(row.event_type)
    return events


async def test_the_worker_in_the_app_expires_a_due_hold(start_api: StartApi) -> None:
    async with start_api(hold_expiry_enabled=True, hold_expiry_interval_s=0.1) as api:
        user_id = await api.funded_wallet(1_000)
        hold = await _hold(api, user_id, 300, expires_in_s=1)
        later = await _hold(api, user_id, 200, expires_in_s=3_600)
        url = f"/wallets/{user_id}/holds/{hold['id']}"

        async def expired() -> bool:
            return bool((await api.client.get(url)).json()["status"] == "EXPIRED")

        await eventually(expired, timeout_s=10)

        assert await api.balances(user_id) == {"USD": {"available": 800, "pending": 200}}
        error = assert_error(await api.client.post(f"{url}/complete"), 409, "INVALID_STATE")
        assert error["details"] == {"status": "EXPIRED"}
        still = await api.client.get(f"/wallets/{user_id}/holds/{later['id']}")
        assert still.json()["status"] == "PENDING"


async def _money_moves(engine: AsyncEngine, hold_id: str) -> list[tuple[str, int]]:
    """The ledger rows of `hold_id`: (type, amount), in order."""
    rows = await fetch(
        engine,
        "SELECT type, amount FROM transactions WHERE hold_id = :h ORDER BY created_at, id",
        h=hold_id,
    )
    return [(row.type, row.amount) for row in rows]


@pytest.mark.parametrize("action", ["complete", "revert"])
@pytest.mark.parametrize("mode", ["no-key", "keyed", "if-match"])
async def test_a_settle_after_the_deadline_expires_the_hold_instead(
    start_api: StartApi, engine: AsyncEngine, action: str, mode: str
) -> None:
    """The worker is off (down for hours) and the app's clock is an hour behind the
    database's: by the app the hold has a minute left, by the database it lapsed long ago.
    The database decides: the request does not capture or revert; the hold expires, as the
    worker would make it, committed before the 409; alike with a key (left unused) and
    with a current If-Match."""
    clock = ShiftedClock()
    clock.advance(-timedelta(hours=1))
    async with start_api(extra_providers=(ShiftedClockProvider(clock),)) as api:
        user_id = await api.funded_wallet(1_000)
        hold = await _hold(api, user_id, 300, expires_in_s=60)
        url = f"/wallets/{user_id}/holds/{hold['id']}"
        headers = {"Idempotency-Key": f"late-{action}"} if mode == "keyed" else {}
        if mode == "if-match":
            headers["If-Match"] = await wallet_etag(api, user_id)
        body = {"amount": 100} if action == "complete" else None

        late = await api.client.post(f"{url}/{action}", json=body, headers=headers)

        error = assert_error(late, 409, "INVALID_STATE")
        assert error["details"] == {"status": "EXPIRED"}
        assert (await api.client.get(url)).json()["status"] == "EXPIRED"
        assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
        assert await _events(engine, user_id) == {hold["id"]: ["hold.created", "hold.expired"]}
        released = [("HOLD", -300), ("HOLD_RELEASE", 300)]
        assert await _money_moves(engine, hold["id"]) == released
        keys = await fetch(
            engine,
            "SELECT key FROM idempotency_keys WHERE user_id = :u AND key = :k",
            u=user_id,
            k=f"late-{action}",
        )
        assert keys == []  # refused: the key stays unused, as after any INVALID_STATE

        if mode == "if-match":  # the expiry moved the wallet's money: its version too
            assert headers["If-Match"] != await wallet_etag(api, user_id)
            headers["If-Match"] = await wallet_etag(api, user_id)
        again = await api.client.post(f"{url}/{action}", json=body, headers=headers)
        assert assert_error(again, 409, "INVALID_STATE")["details"] == {"status": "EXPIRED"}
        await expire_once(api.app.state.dishka_container, batch=10_000)  # finds it settled
        assert await _money_moves(engine, hold["id"]) == released
        assert await _events(engine, user_id) == {hold["id"]: ["hold.created", "hold.expired"]}


async def test_the_worker_reads_the_deadline_by_the_databases_clock(
    start_api: StartApi, engine: AsyncEngine
) -> None:
    """The same clock as the settle statements: an app whose clock is an hour behind still
    expires a hold the database has seen lapse (and a request would be refused on)."""
    clock = ShiftedClock()
    clock.advance(-timedelta(hours=1))
    async with start_api(extra_providers=(ShiftedClockProvider(clock),)) as api:
        user_id = await api.funded_wallet(1_000)
        hold = await _hold(api, user_id, 300, expires_in_s=60)

        assert await expire_once(api.app.state.dishka_container, batch=10_000) >= 1

        url = f"/wallets/{user_id}/holds/{hold['id']}"
        assert (await api.client.get(url)).json()["status"] == "EXPIRED"
        assert await api.balances(user_id) == {"USD": {"available": 1_000, "pending": 0}}
        assert await _events(engine, user_id) == {hold["id"]: ["hold.created", "hold.expired"]}


async def test_a_keyed_completion_answered_before_the_deadline_replays_after_it(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1_000)
    hold = await _hold(api, user_id, 300, expires_in_s=1)
    url = f"/wallets/{user_id}/holds/{hold['id']}/complete"
    headers = {"Idempotency-Key": "capture-in-time"}
    first = await api.client.post(url, json={"amount": 120}, headers=headers)
    assert first.status_code == 200, first.text
    await eventually(_due(engine, hold), timeout_s=5)

    replay = await api.client.post(url, json={"amount": 120}, headers=headers)

    assert (replay.status_code, replay.content) == (200, first.content)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert await api.balances(user_id) == {"USD": {"available": 880, "pending": 0}}
    assert await _events(engine, user_id) == {hold["id"]: ["hold.created", "hold.completed"]}


async def test_settles_racing_the_worker_move_each_hold_once_and_never_capture_late(
    api: Api, engine: AsyncEngine
) -> None:
    """Completions and reverts of holds past their deadline and of holds well within it,
    with two expiry workers running at once: each hold moves once; a due one only to
    EXPIRED (whether the worker or the request got there first, the request is 409
    EXPIRED), a fresh one as asked."""
    funds, count = 10_000, 12
    user_id = await api.funded_wallet(funds)
    due = [await _hold(api, user_id, 100 + i, expires_in_s=1) for i in range(count)]
    fresh = [await _hold(api, user_id, 100 + i, expires_in_s=3_600) for i in range(count)]
    await eventually(_due(engine, due[-1]), timeout_s=5)
    container = api.app.state.dishka_container

    def settle(hold: dict[str, Any], i: int) -> Any:
        url = f"/wallets/{user_id}/holds/{hold['id']}"
        if i % 2:
            return api.client.post(f"{url}/revert")
        return api.client.post(f"{url}/complete", json={"amount": 50})

    requests = [settle(h, i) for i, h in enumerate(due + fresh)]
    workers = [expire_once(container, batch=3) for _ in range(2)]
    *responses, _, _ = await asyncio.gather(*requests, *workers)

    captured = 0
    for i, (hold, response) in enumerate(zip(due + fresh, responses, strict=True)):
        final = (await api.client.get(f"/wallets/{user_id}/holds/{hold['id']}")).json()
        if hold in due:
            error = assert_error(response, 409, "INVALID_STATE")
            assert error["details"] == {"status": "EXPIRED"} == {"status": final["status"]}
        else:
            assert response.status_code == 200, response.text
            assert final["status"] == ("REVERTED" if i % 2 else "COMPLETED")
            captured += 0 if i % 2 else 50
    assert await api.balances(user_id) == {"USD": {"available": funds - captured, "pending": 0}}
    events = await _events(engine, user_id)
    assert sorted(len(kinds) for kinds in events.values()) == [2] * (2 * count)
    assert all(events[h["id"]][1] == "hold.expired" for h in due)
    async with engine.connect() as conn:
        ledger = await conn.scalar(
            text("SELECT sum(amount) FROM transactions WHERE user_id = :u"), {"u": user_id}
        )
        releases = await conn.scalar(
            text("SELECT count(*) FROM transactions WHERE user_id = :u AND type = 'HOLD_RELEASE'"),
            {"u": user_id},
        )
    assert ledger == funds - captured
    assert releases == 2 * count  # the fresh completions capture 50 and release the rest
