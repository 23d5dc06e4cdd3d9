"""The event consumers' apps (FastStream `AsgiFastStream`) under test: started on
FastStream's `TestRabbitBroker` or for real, a recorder of how each delivery was settled,
a no-pause retry policy, plain HTTP calls into the app.

The apps are passed in (`make_app(...)` of each consumer): the testkit imports no app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any
from unittest import mock

import httpx
from dishka import Provider, Scope, provide
from faststream import TestApp
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker, TestRabbitBroker
from faststream.rabbit.message import RabbitMessage
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.delivery import RetryPause


def broker_of(app: AsgiFastStream) -> RabbitBroker:
    broker = app.broker
    assert isinstance(broker, RabbitBroker)
    return broker


@asynccontextmanager
async def on_test_broker(app: AsgiFastStream) -> AsyncIterator[AsgiFastStream]:
    """`app` started (startup hooks, subscribers) on an in-memory `TestRabbitBroker`."""
    async with TestRabbitBroker(broker_of(app)), TestApp(app):
        yield app


@asynccontextmanager
async def started(app: AsgiFastStream) -> AsyncIterator[AsgiFastStream]:
    """`app` started for real (its broker connects)."""
    async with TestApp(app):
        yield app


def unit_settings(**overrides: Any) -> Settings:
    """Settings for an app on `TestRabbitBroker`: defaults (but `overrides`), quiet logs."""
    return Settings.model_validate({"log_level": "warning", **overrides})


def live_settings(database_url: str, amqp_url: str, **overrides: Any) -> Settings:
    """Settings for an app on the real broker and database, quiet logs, `overrides`."""
    return Settings.model_validate(
        {"database_url": database_url, "amqp_url": amqp_url, "log_level": "warning", **overrides}
    )


class NoPause(Provider):
    """Failed deliveries go back at once (no retry pause): a test can walk the whole
    delivery limit quickly."""

    @provide(scope=Scope.APP)
    def pause(self) -> RetryPause:
        return RetryPause(first_s=0.0, max_s=0.0)


async def get(app: AsgiFastStream, path: str) -> httpx.Response:
    """`GET path` of the in-process app."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://consumer") as client:
        return await client.get(path)


@contextmanager
def recorded_settlements() -> Iterator[list[str]]:
    """Every ack / nack / reject the subscriber's messages receive, in order.

    Recorded on FastStream's RabbitMessage: under TestRabbitBroker the aio-pika message
    has no delivery tag, so it is "locked" and never reaches aio-pika's own methods.
    """
    calls: list[str] = []

    async def ack(self: RabbitMessage, multiple: bool = False) -> None:
        calls.append("ack")

    async def nack(self: RabbitMessage, multiple: bool = False, requeue: bool = True) -> None:
        calls.append(f"nack(requeue={requeue})")

    async def reject(self: RabbitMessage, requeue: bool = False) -> None:
        calls.append(f"reject(requeue={requeue})")

    with (
        mock.patch.object(RabbitMessage, "ack", ack),
        mock.patch.object(RabbitMessage, "nack", nack),
        mock.patch.object(RabbitMessage, "reject", reject),
    ):
        yield calls
