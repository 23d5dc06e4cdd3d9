"""Helpers for the cross-process tests of broker-mode webhooks: the ingest, the webhook
consumer and the mock gateway (the webhooks' sender) as subprocesses, on a private stack
(database + vhost, from consumers_harness), with the API in this process to make payments.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx
from wallet_testkit.polling import eventually
from wallet_testkit.processes import (
    START_TIMEOUT_S,
    ServiceProcess,
    closing_all,
    environ_without,
    free_port,
    python_module,
    wallet_env,
)

from .consumers_harness import ConsumerProcess, Stack

INGEST_PATH: Final = "/webhooks/gateway"


class IngestProcess(ServiceProcess):
    """`wallet-webhook-ingest` on a free port (its metrics on another), for the stack's
    broker only: it has no database setting at all."""

    def __init__(self, stack: Stack) -> None:
        port = free_port()
        self.metrics_port = free_port()
        env = {
            **environ_without("WALLET_"),
            **wallet_env(
                amqp_url=stack.amqp_url,
                log_format="json",
                webhook_mode="broker",
                webhook_ingest_port=port,
                webhook_ingest_metrics_port=self.metrics_port,
            ),
        }
        super().__init__("wallet_webhook_ingest", python_module("wallet_webhook_ingest"), env,
                         port=port, probe_timeout_s=2.0)  # fmt: skip

    @property
    def webhook_url(self) -> str:
        return self.base_url + INGEST_PATH

    async def readiness(self) -> int:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            return (await client.get("/readyz")).status_code

    async def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until `/readyz` is 200: connected to RabbitMQ, topology declared."""

        async def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log(tail=4000)}")
            try:
                return await self.readiness() == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout_s=timeout_s, interval_s=0.1)


def webhook_consumer(stack: Stack) -> ConsumerProcess:
    return ConsumerProcess("wallet_webhook_consumer", stack, port_setting="webhook_consumer_port")


class MockGatewayProcess(ServiceProcess):
    """The mock gateway, sending its signed webhooks to `webhook_url` (retried until 2xx)."""

    def __init__(self, webhook_url: str, **settings: str) -> None:
        """`settings`: more `MOCK_GATEWAY_*` settings by field name."""
        port = free_port()
        env = {
            **environ_without("MOCK_"),
            "MOCK_GATEWAY_PORT": str(port),
            "MOCK_WEBHOOK_URL": webhook_url,
            **{f"MOCK_GATEWAY_{name.upper()}": value for name, value in settings.items()},
        }
        super().__init__("mock_gateway", python_module("mock_gateway"), env, port=port)

    async def emit(self, event_type: str, **data: Any) -> str:
        """Send one event (admin endpoint); its provider_event_id."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as client:
            reply = await client.post("/admin/webhooks", json={"type": event_type, "data": data})
        assert reply.status_code == 202, reply.text
        event_id: str = reply.json()["provider_event_id"]
        return event_id

    async def deliveries(self) -> dict[str, Any]:
        """The sender's counters: emitted, attempts, delivered, failed_attempts, pending."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5.0) as client:
            reply = await client.get("/admin/webhooks")
        assert reply.status_code == 200, reply.text
        stats: dict[str, Any] = reply.json()
        return stats


@contextmanager
def broker_mode_processes(stack: Stack, **mock_settings: str) -> Iterator[
    tuple[IngestProcess, ConsumerProcess, MockGatewayProcess]
]:  # fmt: skip
    """Ingest, webhook consumer and the mock (sending to the ingest), closed on the way out."""
    with closing_all([]) as processes:
        ingest = IngestProcess(stack)
        processes.append(ingest)
        consumer = webhook_consumer(stack)
        processes.append(consumer)
        mock = MockGatewayProcess(ingest.webhook_url, **mock_settings)
        processes.append(mock)
        yield ingest, consumer, mock
