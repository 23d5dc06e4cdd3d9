"""Two copies of one webhook (same `webhook-id`: a provider retrying while its first
attempt is still in flight) published while no queue is bound: the broker returns both,
so neither may be answered 202. The confirm bookkeeping finds a returned message's
delivery tag by `message_id`, which both copies share."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import aio_pika
from ingest_testkit import ingest_settings, running_ingest
from wallet_infra.messaging.topology import WEBHOOKS_QUEUE_NAME
from wallet_testkit.amqp import ensure_topology, private_vhost, queue_messages
from wallet_testkit.webhooks import event_body, new_event_id, signed_headers

PATH: Final = "/webhooks/gateway"


async def test_two_copies_of_one_unroutable_webhook_are_both_refused(
    rabbit_control_and_url: tuple[Any, str],
) -> None:
    with private_vhost(*rabbit_control_and_url, prefix="wallet-ingest-dup-unroutable-") as vhost:
        async with running_ingest(ingest_settings(vhost.url)) as ingest:
            connection = await aio_pika.connect(vhost.url)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(WEBHOOKS_QUEUE_NAME)
            event_id = new_event_id()
            body = event_body(event_id)
            headers = signed_headers(body, event_id)

            replies = await asyncio.gather(
                ingest.client.post(PATH, content=body, headers=headers),
                ingest.client.post(PATH, content=body, headers=headers),
            )

            statuses = sorted(reply.status_code for reply in replies)
            await ensure_topology(vhost.url)
            stored = await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME)
            # Nothing reached a queue, so no copy may have been acknowledged to the
            # provider: a 202 makes it stop retrying and the webhook is lost.
            assert stored == []
            assert statuses == [503, 503], [reply.text for reply in replies]
