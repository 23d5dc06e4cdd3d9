"""Wake the relay when events commit: LISTEN on a dedicated asyncpg connection.

The outbox trigger (migrations 0007, 0010) NOTIFYs `outbox_inserted` on commit, for every
statement that inserted rows. The listener owns one connection outside the pool (a pooled
connection would lose its LISTEN when returned) and reconnects, with backoff, whenever it
drops; each (re)connect also wakes the relay, because notifications sent while it was
away are lost. NOTIFY only shortens the wait: the relay polls on a timer anyway, so a
missed wake-up delays, never loses.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]
import structlog
from wallet_infra.persistence.engine import async_url, ssl_mode
from wallet_infra.runtime.backoff import Backoff

CHANNEL: Final = "outbox_inserted"
HEALTH_CHECK_INTERVAL_S: Final = 15.0
HEALTH_CHECK_TIMEOUT_S: Final = 5.0
CONNECT_TIMEOUT_S: Final = 5.0
# How operators (and tests) find the listener in pg_stat_activity.
LISTENER_APPLICATION_NAME: Final = "wallet-relay-listener"

_log = structlog.get_logger(__name__)


def listener_connect_args(dsn: str) -> dict[str, Any]:
    """asyncpg.connect arguments for the app's `postgresql://` DSN, same TLS rule as the pool."""
    url = async_url(dsn)
    sslmode = ssl_mode(url)
    url = url.difference_update_query(["sslmode"]).set(drivername="postgresql")
    args: dict[str, Any] = {
        "dsn": url.render_as_string(hide_password=False),
        "timeout": CONNECT_TIMEOUT_S,
        "server_settings": {"application_name": LISTENER_APPLICATION_NAME},
    }
    if sslmode is not None:
        args["ssl"] = sslmode
    return args


class OutboxWakeup:
    """`wait(at_most_s)` returns when an event was committed since the last `clear()`,
    or after `at_most_s`. Run `serve()` as a task for the lifetime of the relay."""

    def __init__(self, *, dsn: str, max_backoff_s: float) -> None:
        self._connect_args = listener_connect_args(dsn)
        self._backoff = Backoff(max_s=max_backoff_s)
        self._pending = asyncio.Event()

    def clear(self) -> None:
        """Forget earlier wake-ups: call right before claiming a batch."""
        self._pending.clear()

    def wake(self) -> None:
        self._pending.set()

    async def wait(self, at_most_s: float) -> bool:
        """True if woken, False if `at_most_s` passed first."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most_s):
                await self._pending.wait()
                return True
        return False

    async def serve(self) -> None:
        """Keep a LISTEN connection open until cancelled."""
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.warning("outbox listener lost", error=type(error).__name__)
            self.wake()
            await asyncio.sleep(self._backoff.next_delay())

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(**self._connect_args)
        closed = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _: closed.set())
            await connection.add_listener(CHANNEL, self._on_notify)
            self._backoff.reset()
            self.wake()
            _log.info("listening for outbox inserts", channel=CHANNEL)
            while not closed.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(HEALTH_CHECK_INTERVAL_S):
                        await closed.wait()
                if not closed.is_set():
                    await connection.execute("SELECT 1", timeout=HEALTH_CHECK_TIMEOUT_S)
            raise ConnectionError("listener connection closed")
        finally:
            connection.terminate()

    def _on_notify(self, *_: object) -> None:
        self._pending.set()
