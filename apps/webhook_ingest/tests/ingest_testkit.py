"""Helpers for the ingest's tests (imported by name: conftest puts this folder on
sys.path): its settings, the app started in this process with metrics the test reads,
and a real `wallet-webhook-ingest` process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from asgi_lifespan import LifespanManager
from dishka import Provider, Scope, provide
from wallet_infra.config.settings import Settings
from wallet_testkit.polling import eventually
from wallet_testkit.processes import ServiceProcess, console_script, environ_without
from wallet_webhook_ingest.main import make_app
from wallet_webhook_ingest.metrics import IngestMetrics

READY_TIMEOUT_S = 30.0
ROOT: Final = Path(__file__).resolve().parents[3]


def ingest_settings(amqp_url: str, **overrides: Any) -> Settings:
    return Settings.model_validate(
        {"amqp_url": amqp_url, "log_level": "warning", "webhook_ingest_metrics_port": 0} | overrides
    )


async def wait_ready(client: httpx.AsyncClient) -> None:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready, timeout_s=READY_TIMEOUT_S)


class GivenMetrics(Provider):
    """The ingest counts on the test's own `IngestMetrics`, so the test can read them."""

    def __init__(self, metrics: IngestMetrics) -> None:
        super().__init__(scope=Scope.APP)
        self._metrics = metrics

    @provide
    def metrics(self) -> IngestMetrics:
        return self._metrics


@dataclass(frozen=True)
class Ingest:
    client: httpx.AsyncClient
    metrics: IngestMetrics

    def answered(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "wallet_webhook_ingest_requests_total", {"outcome": outcome}
        )
        return value or 0.0


@asynccontextmanager
async def running_ingest(settings: Settings, *, ready: bool = True) -> AsyncIterator[Ingest]:
    """The ingest started (lifespan) with `settings`; with `ready`, once /readyz is 200."""
    metrics = IngestMetrics()
    app = make_app(GivenMetrics(metrics), settings=settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            if ready:
                await wait_ready(client)
            yield Ingest(client, metrics)


def ingest_process(amqp_url: str, port: int, metrics_port: int, **env: str) -> ServiceProcess:
    """A real `wallet-webhook-ingest` in broker mode on `port` (not started yet), with only
    the environment given here and `env` (`WALLET_...` names) over it."""
    return ServiceProcess(
        "wallet-webhook-ingest",
        console_script("wallet-webhook-ingest", "wallet_webhook_ingest"),
        {
            **environ_without("WALLET_", "PROMETHEUS_MULTIPROC_DIR", "OTEL_", "WEB_CONCURRENCY"),
            "WALLET_AMQP_URL": amqp_url,
            "WALLET_WEBHOOK_MODE": "broker",
            "WALLET_WEBHOOK_INGEST_PORT": str(port),
            "WALLET_WEBHOOK_INGEST_METRICS_PORT": str(metrics_port),
            "WALLET_LOG_LEVEL": "warning",
            "OTEL_SDK_DISABLED": "true",
            **env,
        },
        port=port,
        cwd=ROOT,
        new_session=True,
    )
