"""The LISTEN connection's arguments and the wake-up signal (no database needed)."""

from __future__ import annotations

import asyncio

from wallet_relay.wakeup import OutboxWakeup, listener_connect_args


def test_loopback_connections_skip_tls_like_the_pool() -> None:
    args = listener_connect_args("postgresql://u:p@localhost:5432/db")
    assert args["dsn"] == "postgresql://u:p@localhost:5432/db"
    assert args["ssl"] == "disable"
    assert args["server_settings"] == {"application_name": "wallet-relay-listener"}


def test_an_explicit_sslmode_is_passed_to_asyncpg_not_left_in_the_dsn() -> None:
    args = listener_connect_args("postgres://u:p@db.internal:5432/db?sslmode=require")
    assert args["dsn"] == "postgresql://u:p@db.internal:5432/db"
    assert args["ssl"] == "require"


def test_remote_hosts_keep_asyncpg_default_tls() -> None:
    assert "ssl" not in listener_connect_args("postgresql+asyncpg://u:p@db.internal/db")


async def test_wait_returns_at_once_when_woken_and_times_out_otherwise() -> None:
    wakeup = OutboxWakeup(dsn="postgresql://u:p@localhost/db", max_backoff_s=1.0)
    assert await wakeup.wait(0.01) is False
    wakeup.wake()
    assert await asyncio.wait_for(wakeup.wait(5), timeout=1) is True
    wakeup.clear()
    assert await wakeup.wait(0.01) is False
