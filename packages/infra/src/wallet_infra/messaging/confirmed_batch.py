"""Publish a whole batch on an aiormq confirm channel in one write, one future per message.

aiormq's `basic_publish` is built for one message: per call it takes the channel lock,
arms a timeout, queues the frames for the connection's writer (a queue of 10, so a batch
of 500 wakes the writer, and writes to the socket, 500 times) and waits for its confirm,
so a batch needs a task per message. On the relay that bookkeeping cost more CPU than
encoding the frames. `publish_confirmed` does what one `basic_publish` does for every
message of a batch at once: one lock, one item on the write queue, and confirmation
futures registered exactly as `basic_publish` registers them, so aiormq's own frame
reader settles them (ack, nack, a `Basic.Return` of a `mandatory` message, the channel
closing) and nothing else changes. It relies on those attributes of aiormq's `Channel`
(pinned in uv.lock; tests/infra `test_messaging_publisher` covers every outcome).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import pamqp.frame
from aiormq import Channel
from aiormq.abc import ChannelFrame
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.header import ContentHeader


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message to publish; `properties.message_id` must be set (and unique in flight):
    it is how a returned message finds its confirmation."""

    body: bytes
    routing_key: str
    properties: Basic.Properties


@dataclass(frozen=True, slots=True)
class PendingConfirms:
    """The confirmation future of each message of a batch, in order; each settles with the
    broker's `Basic.Ack`/`Basic.Nack` frame or an exception (returned as unroutable,
    channel closed)."""

    channel: Channel
    messages: Sequence[OutgoingMessage]
    futures: list[asyncio.Future[object]]
    first_tag: int

    def forget(self) -> None:
        """Drop the batch's message_id → delivery tag entries (what `basic_publish` does
        per message in a done-callback): call once every future is done or given up."""
        by_message_id = self.channel.message_id_delivery_tag
        for tag, message in enumerate(self.messages, start=self.first_tag):
            message_id = str(message.properties.message_id)
            if by_message_id.get(message_id) == tag:
                del by_message_id[message_id]


async def publish_confirmed(
    channel: Channel,
    *,
    exchange: str,
    messages: Sequence[OutgoingMessage],
    mandatory: bool = True,
) -> PendingConfirms:
    """Queue every message for the broker, in order, as one write. Raises before anything
    is sent if the channel is closed (or the call is cancelled while the queue is full)."""
    if not channel.publisher_confirms:
        raise ValueError("the channel has no publisher confirms")
    number = channel.number
    max_chunk = channel.max_content_size
    publish_frames: dict[str, bytes] = {}
    parts: list[bytes] = []
    for message in messages:
        method = publish_frames.get(message.routing_key)
        if method is None:
            method = pamqp.frame.marshal(
                Basic.Publish(
                    exchange=exchange, routing_key=message.routing_key, mandatory=mandatory
                ),
                number,
            )
            publish_frames[message.routing_key] = method
        parts.append(method)
        body = message.body
        header = ContentHeader(properties=message.properties, body_size=len(body))
        parts.append(pamqp.frame.marshal(header, number))
        for start in range(0, len(body), max_chunk):
            parts.append(pamqp.frame.marshal(ContentBody(body[start : start + max_chunk]), number))
    payload = b"".join(parts)
    futures: list[asyncio.Future[object]] = []
    async with channel.lock:
        # Cancelled while waiting for room, the batch was never queued: nothing to undo.
        await channel.write_queue.put(ChannelFrame(payload=payload, should_close=False))
        # No await from here on: the writer sends the batch only after this returns, so
        # every confirmation is registered before the broker can answer any of them.
        tag = channel.delivery_tag
        for message in messages:
            tag += 1
            future: asyncio.Future[object] = channel.create_future()
            channel.confirmations[tag] = future
            channel.message_id_delivery_tag[str(message.properties.message_id)] = tag
            futures.append(future)
        first_tag = channel.delivery_tag + 1
        channel.delivery_tag = tag
    return PendingConfirms(channel, messages, futures, first_tag)
