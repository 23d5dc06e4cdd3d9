"""Helpers for the money-safety tests: a private database, the API in-process or as a real
process, the mock gateway as a real process, and the ledger invariants checked at the end.

Each test gets a database of its own: these tests run the recovery worker, which settles
every stale PENDING payment it finds, and must never touch another test's (or another
concurrently running session's) payments in the shared test database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped]
import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from wallet_api.main import make_app
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import GatewayHttpClient

ROOT: Final = Path(__file__).resolve().parent.parent
API_KEY: Final = "money-safety-key"
PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"
START_TIMEOUT_S: Final = 60.0


# --------------------------------------------------------------------------- database


def _plain(url: str) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _migrate_up(url: str) -> None:
    binary = shutil.which("migrate") or str(Path.home() / "go" / "bin" / "migrate")
    target = make_url(url).update_query_dict({"sslmode": "disable"})
    subprocess.run(
        [binary, "-path", str(ROOT / "migrations"), "-database",
         target.render_as_string(hide_password=False), "up"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def private_database(database_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database on the test server (dropped afterwards)."""
    admin = _plain(database_url)
    name = f"wallet_money_{uuid4().hex[:12]}"
    await _admin(admin, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        await asyncio.to_thread(_migrate_up, url)
        yield url
    finally:
        await _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- in-process API


class MockGatewayClientProvider(Provider):
    """Overrides infra's gateway client: the same adapter, talking to an in-process mock."""

    def __init__(self, mock_app: FastAPI) -> None:
        super().__init__(scope=Scope.APP)
        self._mock_app = mock_app

    @provide
    async def client(self) -> AsyncIterator[GatewayHttpClient]:
        transport = httpx.ASGITransport(app=self._mock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield GatewayHttpClient(client)


@asynccontextmanager
async def in_process_api(
    database_url: str, mock_app: FastAPI, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The real app (lifespan run), paying through `mock_app`; a service-key client."""
    values = {
        "database_url": database_url,
        "api_keys": API_KEY,
        "log_level": "error",
        "rate_limit_per_s": 0,
        **settings,
    }
    app = make_app(MockGatewayClientProvider(mock_app), settings=Settings.model_validate(values))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://api",
            headers={"X-API-Key": API_KEY},
            timeout=60,
        ) as client,
    ):
        yield app, client


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _console_script(name: str, module: str) -> list[str]:
    """The installed entry point next to this interpreter, else `python -m module`."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.is_file() else [sys.executable, "-m", module]


class Process:
    """A service in its own process group, logging to a temp file; `kill()` is SIGKILL."""

    def __init__(self, name: str, module: str, env: Mapping[str, str]) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("WALLET_", "MOCK_"))}
        self.name = name
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in kill()
        self._proc = subprocess.Popen(
            _console_script(name, module),
            env={**base, **env},
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=30)

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    async def wait_healthy(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log()}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} not healthy in {START_TIMEOUT_S}s:\n{self.log()}")


@contextmanager
def killed_at_exit() -> Iterator[list[Process]]:
    """Collects processes; every one is SIGKILLed on the way out, whatever happened."""
    processes: list[Process] = []
    try:
        yield processes
    finally:
        for process in processes:
            process.kill()


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, interval_s: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


# --------------------------------------------------------------------------- invariants


async def fetch(database_url: str, query: str, *args: Any) -> list[Any]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def pending_payments(database_url: str, users: list[str]) -> int:
    rows = await fetch(
        database_url,
        "SELECT count(*) AS n FROM transactions "
        "WHERE status = 'PENDING' AND user_id = ANY($1::text[])",
        users,
    )
    return int(rows[0]["n"])


async def assert_money_invariants(
    database_url: str, users: list[str], charges: Mapping[str, int]
) -> dict[str, int]:
    """The ledger of `users` is whole; `charges` is the mock's charges per payment id.

    - balance == sum of the ledger, for every wallet and currency; none negative;
    - balance == deposits - approved payments (refunds exactly undo the rest);
    - every payment terminal; refunded once iff not APPROVED;
    - APPROVED iff the gateway holds exactly one charge (never charged twice, never
      refunded while charged, never approved without a charge).
    Returns the payments counted by status.
    """
    balances = await fetch(
        database_url,
        """
        SELECT coalesce(b.user_id, l.user_id) AS user_id,
               coalesce(b.currency, l.currency) AS currency,
               coalesce(b.balance, 0) AS balance, coalesce(l.total, 0) AS total,
               coalesce(l.expected, 0) AS expected
        FROM (SELECT * FROM wallet_balances WHERE user_id = ANY($1::text[])) b
        FULL JOIN (
            SELECT user_id, currency, sum(amount) AS total,
                   sum(amount) FILTER (
                       WHERE type = 'DEPOSIT' OR (type = 'PAYMENT' AND status = 'APPROVED')
                   ) AS expected
            FROM transactions WHERE user_id = ANY($1::text[]) GROUP BY user_id, currency
        ) l ON (b.user_id, b.currency) = (l.user_id, l.currency)
        """,
        users,
    )
    for row in balances:
        where = (row["user_id"], row["currency"])
        assert row["balance"] == row["total"], ("balance != sum(ledger)", where, dict(row))
        assert row["balance"] >= 0, ("negative balance", where)
        assert row["balance"] == row["expected"], ("money not conserved", where, dict(row))

    payments = await fetch(
        database_url,
        """
        SELECT p.id::text AS id, p.status, count(r.id) AS refunds
        FROM transactions p LEFT JOIN transactions r ON r.refund_of = p.id
        WHERE p.type = 'PAYMENT' AND p.user_id = ANY($1::text[])
        GROUP BY p.id, p.status
        """,
        users,
    )
    by_status: dict[str, int] = {}
    for payment in payments:
        status, charged = payment["status"], charges.get(payment["id"], 0)
        by_status[status] = by_status.get(status, 0) + 1
        assert status != "PENDING", payment["id"]
        assert payment["refunds"] == (0 if status == "APPROVED" else 1), dict(payment)
        assert charged <= 1, ("charged twice", payment["id"])
        assert charged == (1 if status == "APPROVED" else 0), (dict(payment), charged)
    return by_status
