"""The seeded random run of test_money_safety_randomized.py against two real `wallet-api`
processes sharing one database, paying through one real `mock-gateway` process: every
request goes to one of them at random, so replays, reuses and same-key races cross
processes (their keys, row locks and breakers are no longer one process's). Then held
charges are released, recovery runs until nothing is PENDING, and the ledger, the keys
and the outbox must be whole, as in the in-process run.

Fewer operations than the in-process run (`MONEY_SAFETY_PROCESS_OPS`, default 400): the
point is the second process, not the volume.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx
from fastapi import FastAPI
from wallet_api.main import make_app
from wallet_api.ops.payment_recovery import recover_once
from wallet_infra.config.settings import Settings
from wallet_testkit.api import lifespan_client
from wallet_testkit.polling import eventually
from wallet_testkit.processes import ServiceProcess, closing_all, free_port, wallet_env

from .money_safety_kit import (
    API_KEY,
    pending_payments,
    private_database,
    run_seed,
    service_process,
)
from .test_money_safety_randomized import (
    RESOLVE_NOW,
    SETTINGS,
    WALLETS,
    Run,
    assert_run_left_the_ledger_whole,
    drive,
    race_same_keys,
)

OPS: Final = int(os.environ.get("MONEY_SAFETY_PROCESS_OPS", "400"))
HANG_S: Final = 0.2
PENDING_TIMEOUT_S: Final = 60.0


class EitherApi:
    """Sends each request to one of the API processes, picked by the run's generator."""

    def __init__(self, clients: list[httpx.AsyncClient], rng: random.Random) -> None:
        self._clients = clients
        self._rng = rng

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self._rng.choice(self._clients).post(path, **kwargs)


@contextmanager
def api_processes(dsn: str, gateway_port: int, count: int) -> Iterator[list[ServiceProcess]]:
    """`count` wallet-api processes on `dsn` with the in-process run's settings, their
    recovery worker off (the test recovers once the run is over)."""
    processes = []
    for _ in range(count):
        port = free_port()
        env = wallet_env(
            **{
                **SETTINGS,
                "database_url": dsn,
                "gateway_url": f"http://127.0.0.1:{gateway_port}",
                "api_keys": API_KEY,
                "api_port": port,
                "log_level": "error",
                "log_format": "json",
                "rate_limit_per_s": 0,
                "db_pool_size": 5,  # two processes on a server the other runs share
                "db_max_overflow": 5,
            }
        )
        process = service_process("wallet-api", "wallet_api", env)
        process.port = port
        processes.append(process)
    with closing_all(processes):
        yield processes


@contextmanager
def mock_gateway_process() -> Iterator[ServiceProcess]:
    port = free_port()
    gateway = service_process(
        "mock-gateway",
        "mock_gateway",
        {"MOCK_GATEWAY_PORT": str(port), "MOCK_GATEWAY_HANG_S": str(HANG_S)},
    )
    gateway.port = port
    with closing_all([gateway]):
        yield gateway


def gateway_port(gateway: ServiceProcess) -> int:
    assert gateway.port is not None
    return gateway.port


async def recover_all(dsn: str, gateway: ServiceProcess, users: list[str]) -> None:
    """Release held outcomes, then run recovery rounds (an in-process app on the same
    database and gateway) until nothing is PENDING."""
    async with httpx.AsyncClient(base_url=gateway.base_url) as mock:
        (await mock.post("/admin/release")).raise_for_status()
    settings = Settings.model_validate(
        {
            **SETTINGS,
            "database_url": dsn,
            "gateway_url": gateway.base_url,
            "api_keys": API_KEY,
            "log_level": "error",
        }
    )
    app: FastAPI = make_app(settings=settings)
    async with lifespan_client(app, api_key=API_KEY):
        container = app.state.dishka_container

        async def none_pending() -> bool:
            if not await pending_payments(dsn, users):
                return True
            await recover_once(container, RESOLVE_NOW)
            return False

        await eventually(none_pending, timeout_s=PENDING_TIMEOUT_S, interval_s=0.1)


async def test_two_api_processes_keep_the_ledger_whole(database_url: str) -> None:
    seed = run_seed(f"operations: {OPS}, two API processes")
    rng = random.Random(seed)
    async with private_database(database_url) as dsn:
        with (
            mock_gateway_process() as gateway,
            api_processes(dsn, gateway_port(gateway), 2) as apis,
        ):
            await gateway.wait_healthy()
            for api in apis:
                await api.wait_healthy()
            clients = [
                httpx.AsyncClient(base_url=api.base_url, headers={"X-API-Key": API_KEY}, timeout=60)
                for api in apis
            ]
            try:
                either = EitherApi(clients, rng)
                users = [f"ms2-{seed}-{n}" for n in range(WALLETS)]
                for user_id in users:
                    created = await either.post("/wallets", json={"user_id": user_id})
                    assert created.status_code == 201, created.text
                run = Run(rng=rng, users=users)
                await drive(either, run, ops=OPS)  # type: ignore[arg-type]
                await race_same_keys(either, run)  # type: ignore[arg-type]
            finally:
                for client in clients:
                    await client.aclose()
            await recover_all(dsn, gateway, users)
            async with httpx.AsyncClient(base_url=gateway.base_url) as mock:
                charges = (await mock.get("/admin/stats")).json()["charges"]
        by_status, events = await assert_run_left_the_ledger_whole(dsn, users, run, charges)
    print(f"replies {sorted(run.statuses.items())}")
    print(f"payments by final status {by_status}; events {sorted(events.items())}")
    assert {"APPROVED", "DECLINED", "FAILED"} <= set(by_status), by_status
