"""Helpers for the cross-process consumer tests: a private stack (database + vhost) per
test, the API in this process, relays and consumers as subprocesses, a tap on the
events exchange. The generic pieces (processes, polling, queues, /metrics, queries) are
wallet_testkit's.

Each test gets a database and a RabbitMQ virtual host of its own: the relay drains every
unsent outbox row of its database and the consumers take every message of their queues,
so sharing either with other tests would mix their events into the counts checked here.
"""

from __future__ import annotations

import importlib
import sys

# See mock_gateway/tests/conftest.py: with --import-mode=importlib pytest may register the
# mock_gateway/ *directory* as a namespace package, hiding the installed one.
if getattr(sys.modules.get("mock_gateway"), "__file__", "") is None:
    sys.modules.pop("mock_gateway", None)
    importlib.import_module("mock_gateway")

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import aio_pika
from wallet_api.main import make_app as make_api
from wallet_infra.config.settings import Settings
from wallet_testkit.amqp import private_vhost
from wallet_testkit.api import Api, MockGatewayClientProvider, lifespan_client
from wallet_testkit.db import private_database
from wallet_testkit.metrics import Samples, scrape_url
from wallet_testkit.polling import eventually as _eventually
from wallet_testkit.processes import (
    ServiceProcess,
    closing_all,
    environ_without,
    free_port,
    python_module,
    wallet_env,
)

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

ROOT: Final = Path(__file__).resolve().parents[1]
MIGRATIONS: Final = ROOT / "migrations"
API_KEY: Final = "consumers-test-key"

# These tests poll cross-process state: every 0.1 s.
eventually = partial(_eventually, interval_s=0.1)


# --------------------------------------------------------------------------- private stack


@dataclass(frozen=True)
class Stack:
    database_url: str  # postgresql://
    amqp_url: str  # on the private vhost
    vhost: str


@asynccontextmanager
async def private_stack(
    rabbit_control_and_url: tuple[Any, str], database_url: str
) -> AsyncIterator[Stack]:
    """A fresh vhost and a fresh migrated database, both dropped afterwards; the test
    fails if `rabbitmqctl` cannot make the vhost."""
    control, base_url = rabbit_control_and_url
    with private_vhost(control, base_url, prefix="wallet-consumers-") as vhost:
        async with private_database(
            database_url, prefix="wallet_consumers_", migrations=MIGRATIONS
        ) as private_db:
            yield Stack(database_url=private_db, amqp_url=vhost.url, vhost=vhost.name)


# --------------------------------------------------------------------------- processes


def _env(stack: Stack, **settings: Any) -> dict[str, str]:
    """WALLET_* settings on the stack (none inherited from this process)."""
    return {
        **environ_without("WALLET_"),
        **wallet_env(
            database_url=stack.database_url,
            amqp_url=stack.amqp_url,
            log_format="json",
            # Small pools: a test runs up to six of these beside the API, on a server
            # other test sessions share (max_connections is often 100).
            db_pool_size=2,
            db_max_overflow=2,
        ),
        **wallet_env(**settings),
    }


class ConsumerProcess(ServiceProcess):
    """A consumer subprocess serving `/healthz` and `/metrics` on a free port of its own."""

    def __init__(self, module: str, stack: Stack, *, port_setting: str) -> None:
        port = free_port()
        env = _env(stack, **{port_setting: port})
        super().__init__(module, python_module(module), env, port=port, probe_timeout_s=2.0)

    async def metrics(self) -> Samples:
        return await scrape_url(self.base_url)


def metrics_consumer(stack: Stack) -> ConsumerProcess:
    return ConsumerProcess("wallet_metrics_consumer", stack, port_setting="metrics_port")


def audit_consumer(stack: Stack) -> ConsumerProcess:
    return ConsumerProcess("wallet_audit_consumer", stack, port_setting="audit_port")


def relay(stack: Stack) -> ServiceProcess:
    return ServiceProcess("wallet_relay", python_module("wallet_relay"), _env(stack))


@dataclass(frozen=True)
class Consumers:
    """The audit and metrics consumers of one stack, and `processes`: every process the
    test started (the consumers, relays started later), closed when the test leaves."""

    stack: Stack
    audits: list[ConsumerProcess]
    counters: list[ConsumerProcess]
    processes: list[ServiceProcess]

    def start_relays(self, count: int = 1) -> None:
        self.processes.extend(relay(self.stack) for _ in range(count))

    def assert_stopped_gracefully(self) -> None:
        """Every process, closed by SIGTERM, exited cleanly."""
        for process in self.processes:
            assert process.stopped_gracefully(), f"{process.name}:\n{process.log()}"


@asynccontextmanager
async def healthy_consumers(stack: Stack, *, instances: int = 1) -> AsyncIterator[Consumers]:
    """`instances` audit consumers and as many metrics consumers on `stack`, each answering
    its health check; every process in `Consumers.processes` is closed on the way out."""
    audits = [audit_consumer(stack) for _ in range(instances)]
    counters = [metrics_consumer(stack) for _ in range(instances)]
    with closing_all([*audits, *counters]) as processes:
        for consumer in processes:
            await consumer.wait_healthy()
        yield Consumers(stack, audits, counters, processes)


# --------------------------------------------------------------------------- broker


class EventTap:
    """An exclusive queue bound to every routing key of the events exchange: what the
    relay published, in arrival order."""

    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self.messages: list[aio_pika.abc.AbstractIncomingMessage] = []
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None

    async def __aenter__(self) -> EventTap:
        self._connection = await aio_pika.connect_robust(self._url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(
            "payments.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, routing_key="#")
        await queue.consume(self._on_message, no_ack=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.messages.append(message)


# --------------------------------------------------------------------------- the API


def api_settings(stack: Stack, **overrides: Any) -> Settings:
    """The API's settings on the stack (a service key, quiet logs, no recovery worker, no
    rate limit), and `overrides`."""
    return Settings.model_validate(
        {
            "database_url": stack.database_url,
            "amqp_url": stack.amqp_url,
            "api_keys": API_KEY,
            "log_level": "warning",
            "db_pool_size": 10,
            "db_max_overflow": 0,
            "recovery_enabled": False,
            # The scale test sends ~1,150 requests at once, past the default 200 burst +
            # 100/s whenever the API answers them in under ~9.5 s.
            "rate_limit_per_s": 0,
            **overrides,
        }
    )


@asynccontextmanager
async def running_api(stack: Stack, **overrides: Any) -> AsyncIterator[Api]:
    """The real API app in this process, on the stack's database, paying through an
    in-process mock gateway; called with a service key. `overrides`: more settings."""
    mock_app = create_mock_gateway(MockGatewaySettings(hang_s=0.3))
    app = make_api(MockGatewayClientProvider(mock_app), settings=api_settings(stack, **overrides))
    async with lifespan_client(app, api_key=API_KEY) as client:
        yield Api(client, app)
