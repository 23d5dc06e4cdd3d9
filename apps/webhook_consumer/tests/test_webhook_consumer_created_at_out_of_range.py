"""A provider event whose `created_at` has no date in UTC (year 1 at +01:00), published by
an ingest that took it (one from before the decoder refused it), is dead-lettered at once
as a body that is not a provider event: never applied, and not retried as if the database
were down (the sync route answers such a body 400: test_api_webhook_created_at_out_of_range)."""

from __future__ import annotations

from typing import Final

import orjson
from faststream.asgi import AsgiFastStream
from faststream.rabbit import RabbitBroker
from wallet_infra.messaging.topology import WEBHOOKS_DLQ_NAME, WEBHOOKS_QUEUE_NAME
from wallet_testkit.amqp import RabbitVhost, first_death, queue_messages
from wallet_testkit.api import Api
from wallet_testkit.metrics import deliveries, scrape
from wallet_testkit.polling import eventually
from wallet_testkit.webhooks import new_event_id, payment_status, pending_payment, publish_webhook

TIMEOUT_S: Final = 20.0


async def test_a_created_at_at_the_edge_of_the_datetime_range_is_refused_not_retried(
    live_consumer: AsgiFastStream, publisher: RabbitBroker, vhost: RabbitVhost, api: Api
) -> None:
    await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    user_id, payment_id = await pending_payment(api, 300)
    event_id = new_event_id()
    body = orjson.dumps(
        {
            "provider_event_id": event_id,
            "type": "payment.settled",
            "created_at": "0001-01-01T00:00:00+01:00",
            "data": {"payment_id": payment_id, "status": "approved"},
        }
    )
    before = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)

    await publish_webhook(publisher, body, event_id=event_id)

    async def handled() -> bool:
        now = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)
        return now.get("dead_lettered", 0) + now.get("processed", 0) > before.get(
            "dead_lettered", 0
        ) + before.get("processed", 0)

    await eventually(handled, timeout_s=TIMEOUT_S)
    after = deliveries(await scrape(live_consumer), WEBHOOKS_QUEUE_NAME)
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    assert await payment_status(api, user_id, payment_id) == "PENDING"
    # A body no delivery can ever apply must be refused once (rejected at once), not
    # retried as a transient failure.
    assert grown.get("retried", 0) == 0, grown
    (dead,) = await queue_messages(vhost.url, WEBHOOKS_DLQ_NAME)
    assert first_death(dead)["count"] == 1
