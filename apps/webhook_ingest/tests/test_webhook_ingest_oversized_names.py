"""A well-signed webhook whose `type` (at most 100 characters) or `webhook-id` takes more
than 255 bytes in UTF-8 cannot be an AMQP routing key, type or message id as it is. It is
still taken (sync mode acknowledges the same event as `unsupported`), and it never fails
the write it shares with the webhooks that arrived with it."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Final

from ingest_testkit import Ingest
from wallet_domain.model.provider_event import UnsupportedProviderEvent
from wallet_infra.messaging.topology import WEBHOOKS_QUEUE_NAME
from wallet_infra.webhooks.provider_event_body import decode_provider_event
from wallet_testkit.amqp import RabbitVhost, queue_messages
from wallet_testkit.webhooks import event_body, new_event_id, signed_headers

PATH: Final = "/webhooks/gateway"
# 100 characters (the decoder's limit on `type`), 400 bytes in UTF-8.
LONG_UTF8_TYPE: Final = "\U0001f4b3" * 100


def test_the_long_type_is_a_well_formed_event_of_a_type_we_do_not_act_on() -> None:
    event_id = new_event_id()
    event = decode_provider_event(event_body(event_id, LONG_UTF8_TYPE, anything="goes"))
    assert isinstance(event, UnsupportedProviderEvent)  # sync mode: 200 "unsupported"


async def test_a_webhook_batched_with_an_unroutable_type_is_still_accepted(
    ingest: Ingest, vhost: RabbitVhost
) -> None:
    await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME)
    odd_id = new_event_id()
    odd = event_body(odd_id, LONG_UTF8_TYPE, anything="goes")
    good = {event_id: event_body(event_id) for event_id in (new_event_id() for _ in range(20))}
    requests = [(odd_id, odd), *good.items()]

    replies = await asyncio.gather(
        *(ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))
          for event_id, body in requests)
    )  # fmt: skip

    statuses = {
        event_id: reply.status_code for (event_id, _), reply in zip(requests, replies, strict=True)
    }
    good_statuses = [statuses[event_id] for event_id in good]
    assert good_statuses == [202] * len(good), good_statuses
    assert statuses[odd_id] == 202, replies[0].text
    queued = await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME)
    odd_message = next(m for m in queued if m.body == odd)
    assert (odd_message.routing_key, odd_message.type) == ("unsupported", "unsupported")
    assert odd_message.message_id == odd_id


async def test_a_webhook_id_longer_than_amqp_allows_goes_as_its_digest(
    ingest: Ingest, vhost: RabbitVhost
) -> None:
    await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME)
    long_id = "evt_" + "\u00e9" * 200  # 204 characters (the body allows 255), 404 bytes
    body = event_body(long_id)
    headers: dict[str, str | bytes] = {**signed_headers(body, long_id)}
    headers["webhook-id"] = long_id.encode("latin-1")  # as a provider's header carries it

    reply = await ingest.client.post(PATH, content=body, headers=headers)

    assert reply.status_code == 202, reply.text
    [message] = [m for m in await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME) if m.body == body]
    assert message.message_id == hashlib.sha256(long_id.encode()).hexdigest()
