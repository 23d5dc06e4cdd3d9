"""Helpers for the cross-process consumer tests: a private stack (database + vhost) per
test, the API in this process, relays and consumers as subprocesses, a tap on the
events exchange, and readers for `/metrics` and the DLQs.

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

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from uuid import UUID, uuid4

import aio_pika
import asyncpg  # type: ignore[import-untyped]
import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from wallet_api.main import make_app as make_api
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import GatewayHttpClient

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

ROOT: Final = Path(__file__).resolve().parents[1]
MIGRATIONS: Final = ROOT / "migrations"
STOP_TIMEOUT_S: Final = 20.0
START_TIMEOUT_S: Final = 30.0
API_KEY: Final = "consumers-test-key"
PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"  # City Power & Light (seeded)


# --------------------------------------------------------------------------- polling


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, interval_s: float = 0.1
) -> None:
    """Poll `check` until it is true; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s}s")
        await asyncio.sleep(interval_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --------------------------------------------------------------------------- private stack


@dataclass(frozen=True)
class Stack:
    database_url: str  # postgresql://
    amqp_url: str  # on the private vhost
    vhost: str


def _migrate_up(database_url: str) -> None:
    binary = shutil.which("migrate") or str(Path.home() / "go" / "bin" / "migrate")
    url = database_url + ("&" if "?" in database_url else "?") + "sslmode=disable"
    done = subprocess.run(
        [binary, "-path", str(MIGRATIONS), "-database", url, "up"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


async def _admin(database_url: str, statement: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def private_stack(control: Any, database_url: str, amqp_url: str) -> AsyncIterator[Stack]:
    """A fresh migrated database and a fresh vhost, both dropped afterwards."""
    suffix = uuid4().hex[:12]
    db_name, vhost = f"wallet_consumers_{suffix}", f"wallet-consumers-{suffix}"
    parts = urlsplit(database_url)
    private_db = urlunsplit(parts._replace(path=f"/{db_name}", query=""))
    broker = urlsplit(amqp_url)
    private_amqp = urlunsplit(broker._replace(path="/" + quote(vhost, safe="")))
    await _admin(database_url, f'CREATE DATABASE "{db_name}"')
    control("add_vhost", vhost)
    try:
        control("set_permissions", "-p", vhost, unquote(broker.username or "guest"), *[".*"] * 3)
        await asyncio.to_thread(_migrate_up, private_db)
        yield Stack(database_url=private_db, amqp_url=private_amqp, vhost=vhost)
    finally:
        control("delete_vhost", vhost)
        await _admin(database_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


# --------------------------------------------------------------------------- processes


class ServiceProcess:
    """`python -m <module>` with WALLET_* settings; always `close()` it (in a finally)."""

    def __init__(self, module: str, stack: Stack, **settings: Any) -> None:
        self.module = module
        self.output = ""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("WALLET_")},
            "WALLET_DATABASE_URL": stack.database_url,
            "WALLET_AMQP_URL": stack.amqp_url,
            "WALLET_LOG_FORMAT": "json",
            # Small pools: a test runs up to six of these beside the API, on a server
            # other test sessions share (max_connections is often 100).
            "WALLET_DB_POOL_SIZE": "2",
            "WALLET_DB_MAX_OVERFLOW": "2",
        }
        env.update({f"WALLET_{key.upper()}": str(value) for key, value in settings.items()})
        # A file, not a pipe: a pipe nobody reads fills up and blocks the process's logging.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> str:
        """SIGTERM (a graceful stop), SIGKILL if that hangs; returns the process's log."""
        try:
            if self.alive():
                self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)
        self.output = self.log()
        self._log.close()
        return self.output

    def stopped_gracefully(self) -> bool:
        """Exited on its own after SIGTERM: 0, or uvicorn's re-raised SIGTERM (-15)."""
        return self.process.returncode in (0, -signal.SIGTERM)

    def log(self) -> str:
        if self._log.closed:
            return self.output
        self._log.seek(0)
        return self._log.read().decode(errors="replace")


class ConsumerProcess(ServiceProcess):
    """A consumer subprocess serving HTTP on a free port of its own."""

    def __init__(self, module: str, stack: Stack, *, port_setting: str, **settings: Any):
        self.port = free_port()
        super().__init__(module, stack, **{port_setting: self.port}, **settings)
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def wait_healthy(self, timeout_s: float = START_TIMEOUT_S) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:

            async def healthy() -> bool:
                assert self.alive(), f"{self.module} exited:\n{self.log()}"
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(healthy, timeout_s=timeout_s)

    async def metrics(self) -> Samples:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as client:
            response = await client.get("/metrics")
        assert response.status_code == 200, response.text
        return parse_metrics(response.text)


def metrics_consumer(stack: Stack) -> ConsumerProcess:
    return ConsumerProcess("wallet_metrics_consumer", stack, port_setting="metrics_port")


def audit_consumer(stack: Stack) -> ConsumerProcess:
    return ConsumerProcess("wallet_audit_consumer", stack, port_setting="audit_port")


def relay(stack: Stack) -> ServiceProcess:
    return ServiceProcess("wallet_relay", stack)


@contextmanager
def closing_all(processes: list[ServiceProcess]) -> Iterator[list[ServiceProcess]]:
    """Close every process on the way out; a failure shows the logs of those that died."""
    try:
        yield processes
    except BaseException:
        for process in processes:
            if not process.alive():
                sys.stderr.write(f"--- {process.module} exited:\n{process.log()[-4000:]}\n")
        raise
    finally:
        for process in processes:
            process.close()


# --------------------------------------------------------------------------- metrics

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: list[Samples], name: str, **labels: str) -> float:
    """`name`'s samples matching `labels`, summed over instances (and other labels)."""
    return sum(
        value
        for instance in samples
        for (sample, sample_labels), value in instance.items()
        if sample == name and labels.items() <= dict(sample_labels).items()
    )


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


async def queue_messages(amqp_url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Every message now ready in `queue`, taken off it."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        source = await channel.get_queue(queue, ensure=True)
        found = []
        while (message := await source.get(no_ack=True, fail=False)) is not None:
            found.append(message)
        return found
    finally:
        await connection.close()


# --------------------------------------------------------------------------- the API


class MockGatewayClientProvider(Provider):
    """Overrides infra's gateway client: same adapter, requests go to the mock app."""

    def __init__(self, mock_app: FastAPI) -> None:
        super().__init__(scope=Scope.APP)
        self._mock_app = mock_app

    @provide
    async def client(self) -> AsyncIterator[GatewayHttpClient]:
        transport = httpx.ASGITransport(app=self._mock_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield GatewayHttpClient(client)


@asynccontextmanager
async def running_api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The real API app in this process, on the stack's database, paying through an
    in-process mock gateway; a client authenticated with a service key."""
    settings = Settings.model_validate(
        {
            "database_url": stack.database_url,
            "amqp_url": stack.amqp_url,
            "api_keys": API_KEY,
            "log_level": "warning",
            "db_pool_size": 10,
            "db_max_overflow": 0,
            "recovery_enabled": False,
        }
    )
    mock_app = create_mock_gateway(MockGatewaySettings(hang_s=0.3))
    app = make_api(MockGatewayClientProvider(mock_app), settings=settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app),
            base_url="http://api",
            headers={"X-API-Key": API_KEY},
        ) as client,
    ):
        yield client


async def create_funded_wallet(api: httpx.AsyncClient, deposits: dict[str, int]) -> str:
    user_id = f"u-{uuid4().hex[:16]}"
    response = await api.post("/wallets", json={"user_id": user_id})
    assert response.status_code == 201, response.text
    for currency, amount in deposits.items():
        response = await api.post(
            f"/wallets/{user_id}/deposits",
            json={"amount": amount, "currency": currency},
            headers={"Idempotency-Key": uuid4().hex},
        )
        assert response.status_code == 201, response.text
    return user_id


async def pay(
    api: httpx.AsyncClient, user_id: str, amount: int, currency: str, reference: str
) -> httpx.Response:
    return await api.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": reference,
            "amount": amount,
            "currency": currency,
        },
        headers={"Idempotency-Key": uuid4().hex},
    )


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


def uuid_of(value: Any) -> UUID:
    return UUID(str(value))


def first_death(message: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    """The first `x-death` record RabbitMQ put on a dead-lettered message."""
    deaths: Any = message.headers["x-death"]
    return dict(deaths[0])
