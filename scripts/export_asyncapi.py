"""Write docs/asyncapi.json: the event contract, as FastStream documents the apps' brokers.

    uv run python scripts/export_asyncapi.py          # (re)write docs/asyncapi.json (make asyncapi)
    uv run python scripts/export_asyncapi.py --check  # exit 1 if the committed file is stale

AsyncAPI 3.0 from the brokers the processes really build, with built-in default settings
(nothing connects): the metrics, audit and webhook consumers' apps (their subscriptions)
and the relay's container (its broker). The relay publishes through aio-pika's exchange
object, not through FastStream publishers, so FastStream cannot see what it sends and the
consumers take the raw body; the envelope every message carries (`DomainEvent`, encoded
field for field by wallet_infra.messaging.envelope) is declared here, on the relay's
broker, once per routing key. The webhook ingest publishes the same way, so the provider
webhooks it sends to `gateway.webhooks` are declared on that broker too.
tests/test_asyncapi_contract.py keeps the file current.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from pydantic import BaseModel
from wallet_audit_consumer.main import make_app as make_audit_app
from wallet_domain.model.events import DomainEvent, EventType
from wallet_domain.model.provider_event import ProviderEventType
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.topology import (
    DEAD_LETTER_EXCHANGE,
    DELIVERY_LIMIT,
    EVENTS_EXCHANGE,
    QUEUE_BINDINGS,
    WEBHOOKS_EXCHANGE,
    WEBHOOKS_QUEUE_NAME,
)
from wallet_metrics_consumer.main import make_app as make_metrics_app
from wallet_relay.main import make_app as make_relay
from wallet_testkit.contract_docs import BuiltInDefaults, export_main
from wallet_webhook_consumer.main import make_app as make_webhook_consumer_app

ROOT: Final = Path(__file__).resolve().parent.parent
OUTPUT: Final = ROOT / "docs" / "asyncapi.json"
VERSION: Final = "1.0.0"
EVENT_DESCRIPTIONS: Final = {
    EventType.PAYMENT_CREATED: "A payment was debited and is PENDING at the gateway.",
    EventType.PAYMENT_COMPLETED: "A payment was APPROVED by the gateway.",
    EventType.PAYMENT_FAILED: "A payment ended DECLINED or FAILED; a refund.created follows.",
    EventType.PAYMENT_REDEBITED: (
        "Reconciliation took back the refund of a payment the provider charged after all"
        " (a REDEBIT row; `redebit_of` names the payment)."
    ),
    EventType.REFUND_CREATED: "A failed or declined payment was refunded (`REFUND`), or the"
    " provider refunded part or all of an approved one (`PROVIDER_REFUND`); `refund_of` names"
    " the payment.",
    EventType.DEPOSIT_COMPLETED: "A deposit was credited (at once, or a pending one completed).",
    EventType.DEPOSIT_PENDING: "A two-phase deposit was announced: pending credit, not spendable.",
    EventType.DEPOSIT_REVERTED: "A pending deposit was dropped; it was never spendable.",
    EventType.HOLD_CREATED: "A hold took its amount out of the available balance.",
    EventType.HOLD_COMPLETED: "A hold was captured (`captured`); the rest (`released`) came back.",
    EventType.HOLD_REVERTED: "A hold was released in full on request.",
    EventType.HOLD_EXPIRED: "A hold passed `expires_at` and was released in full.",
    EventType.TRANSFER_COMPLETED: "Money moved from one wallet to another (both legs written).",
    EventType.DISPUTE_OPENED: "A dispute was opened (OPEN) on an approved payment.",
    EventType.DISPUTE_UPDATED: "A dispute moved to UNDER_REVIEW, SUBMITTED, CLOSED or CANCELED.",
    EventType.DISPUTE_WON: "A dispute was WON: the payment's amount was credited (CHARGEBACK).",
    EventType.DISPUTE_LOST: "A dispute was LOST: no money moved.",
}


WEBHOOK_DESCRIPTIONS: Final = {
    ProviderEventType.PAYMENT_SETTLED: "The provider's late outcome for a payment left PENDING.",
    ProviderEventType.PAYMENT_REFUNDED: "The provider refunded (part of) a charge.",
    ProviderEventType.DISPUTE_UPDATED: "The provider moved a dispute along its states.",
}


class ProviderWebhook(BaseModel):
    """A provider webhook body as the provider signed it (published byte for byte)."""

    provider_event_id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


# The tests load this script as a file, not as a module its annotations could be read from.
ProviderWebhook.model_rebuild(_types_namespace={"datetime": datetime, "Any": Any})


def _description() -> str:
    bindings = "; ".join(f"`{q}` <- {', '.join(keys)}" for q, keys in QUEUE_BINDINGS.items())
    return (
        f"Events of the wallet platform on the topic exchange `{EVENTS_EXCHANGE.name}`, "
        "published by the outbox relay (persistent, mandatory, publisher confirms; AMQP "
        "`message_id` = `event_id`, `content_type` application/json, W3C `traceparent` "
        f"header). Delivery is at-least-once: deduplicate by `event_id`. Queues: {bindings}. "
        f"A message failing {DELIVERY_LIMIT} deliveries is dead-lettered through "
        f"`{DEAD_LETTER_EXCHANGE.name}` to `<queue>.dlq`. Ordering across relays is not "
        "guaranteed: sort by `occurred_at` / `event_id` (UUIDv7) where it matters. "
        f"Provider webhooks (broker mode) travel apart, on the topic exchange "
        f"`{WEBHOOKS_EXCHANGE.name}`: the ingest service publishes each verified body as "
        "received (routing key and AMQP `type` = the provider's event type, `message_id` = "
        f"its `webhook-id`, `timestamp` = acceptance) to `{WEBHOOKS_QUEUE_NAME}` (bound to "
        "`#`); the webhook consumer applies each at most once by `provider_event_id`."
    )


async def _relay_broker(settings: Settings) -> RabbitBroker:
    container = make_relay(settings=settings).container
    try:
        return await container.get(RabbitBroker)
    finally:
        await container.close()


def document() -> dict[str, Any]:
    settings = BuiltInDefaults()
    relay = asyncio.run(_relay_broker(settings))
    for event_type in EventType:
        relay.publisher(
            exchange=EVENTS_EXCHANGE,
            routing_key=event_type.value,
            title=f"{EVENTS_EXCHANGE.name}:{event_type.value}",
            description=EVENT_DESCRIPTIONS[event_type],
            schema=DomainEvent,
        )
    for webhook_type, description in WEBHOOK_DESCRIPTIONS.items():
        relay.publisher(
            exchange=WEBHOOKS_EXCHANGE,
            routing_key=webhook_type.value,
            title=f"{WEBHOOKS_EXCHANGE.name}:{webhook_type.value}",
            description=f"{description} Published by wallet-webhook-ingest.",
            schema=ProviderWebhook,
        )
    consumers: list[RabbitBroker] = []
    apps = (
        make_metrics_app(settings=settings),
        make_audit_app(settings=settings),
        make_webhook_consumer_app(settings=settings),
    )
    for app in apps:
        assert isinstance(app.broker, RabbitBroker)
        consumers.append(app.broker)
    spec = AsyncAPI(
        relay,
        *consumers,
        title="Wallet & Payments events",
        version=VERSION,
        description=_description(),
        schema_version="3.0.0",
    ).to_specification()
    result: dict[str, Any] = json.loads(spec.to_json())
    _every_binding(result["channels"])
    return result


def _every_binding(channels: dict[str, Any]) -> None:
    """A work queue's channel once per routing key it is bound to: FastStream's queue knows
    one (its first), and `declare_topology` binds the others (QUEUE_BINDINGS)."""
    for name, channel in list(channels.items()):
        queue = channel.get("bindings", {}).get("amqp", {}).get("queue", {}).get("name")
        for key in QUEUE_BINDINGS.get(queue, ()):
            if key != channel["address"]:
                channels[f"{name}:{key}"] = {**channel, "address": key}


def render() -> str:
    """Keys sorted: FastStream collects publishers in no stable order."""
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    return export_main(argv, __doc__, render, OUTPUT, "asyncapi")


if __name__ == "__main__":
    sys.exit(main())
