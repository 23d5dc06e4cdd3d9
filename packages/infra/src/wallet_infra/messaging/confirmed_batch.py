"""Publish a whole batch on an aiormq confirm channel in one write, and await its confirms.

aiormq's `basic_publish` is built for one message: per call it takes the channel lock,
arms a timeout, queues the frames for the connection's writer (a queue of 10, so a batch
of 500 wakes the writer, and writes to the socket, 500 times), registers its confirmation
future in the channel's and the connection's future stores (so closing rejects it) and
waits for the confirm, so a batch needs a task per message. On the relay that bookkeeping
cost more CPU than encoding the frames.

`publish_confirmed` does for a whole batch what `basic_publish` does per message: one
lock, one item on the write queue, each message's confirmation future in the channel's
`confirmations` (by delivery tag) and `message_id_delivery_tag` (for a `Basic.Return`),
where aiormq's own frame reader settles it: ack, nack, or a returned `mandatory` message.
Only one future per batch goes into the future stores; it fails when the channel or the
connection closes, which fails the batch's unsettled messages. It relies on those
attributes of aiormq's `Channel` (pinned in uv.lock; `test_messaging_confirmed_batch`
checks the bookkeeping, `test_messaging_publisher` every outcome).

A message still unconfirmed when `settle` gives up (timeout, closed channel) is taken
out of `confirmations` and its future cancelled, so a broker that answers late, or never
on a channel that stays open, leaves nothing behind to pile up batch after batch. aiormq
7.2's reader drops the late answer: `_on_confirm_frame` logs an ack or nack for a tag it
no longer holds ("Unexpected confirmation frame", at error level) and returns, and
`_on_return_frame` does the same for an unknown message_id once it has read the content.
A multiple ack dropped that way settles none of the lower tags it covers either; there
are none left waiting, as long as every batch on a channel waits the same timeout (the
publisher's one constant): tags follow publish order, so any batch published before this
one has already settled or been given up. The channel stays open and keeps publishing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


class PendingConfirms:
    """The confirms a published batch is waiting for; `settle()` once."""

    def __init__(
        self,
        *,
        channel: Channel,
        messages: Sequence[OutgoingMessage],
        futures: list[asyncio.Future[Any]],
        first_tag: int,
    ) -> None:
        self._channel = channel
        self._messages = messages
        self._futures = futures
        self._first_tag = first_tag
        # In the channel's future store: rejected if the channel or connection closes.
        self._closed: asyncio.Future[None] = channel.create_future()
        self._all_settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unsettled = len(futures)
        for future in futures:
            future.add_done_callback(self._one_settled)

    def _one_settled(self, _: asyncio.Future[Any]) -> None:
        self._unsettled -= 1
        if self._unsettled == 0 and not self._all_settled.done():
            self._all_settled.set_result(None)

    async def settle(self, timeout_s: float) -> list[object]:
        """Each message's outcome, in order: the broker's `Basic.Ack` or `Basic.Nack`
        frame, or the exception that kept it from being confirmed (`PublishError` for a
        returned message, the channel's close reason, `TimeoutError` past `timeout_s`).
        Whatever is unsettled by then is given up: a later confirm changes nothing."""
        try:
            if self._unsettled:
                await asyncio.wait(
                    (self._all_settled, self._closed),
                    timeout=timeout_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            unsettled: BaseException = TimeoutError()
            if self._closed.done() and not self._closed.cancelled():
                unsettled = self._closed.exception() or ConnectionError("channel closed")
            return [_outcome(future, unsettled) for future in self._futures]
        finally:
            self._closed.cancel()  # leaves the future stores
            self._forget()

    def _forget(self) -> None:
        """Take the batch out of the channel's bookkeeping: every message_id → delivery tag
        entry (`basic_publish` does it per message in a done-callback), and each unsettled
        confirmation, cancelled (see the module docstring). A settled one is already gone,
        or is aiormq's `Returning` marker, which the return's own ack removes."""
        confirmations = self._channel.confirmations
        by_message_id = self._channel.message_id_delivery_tag
        pairs = zip(self._messages, self._futures, strict=True)
        for tag, (message, future) in enumerate(pairs, start=self._first_tag):
            message_id = str(message.properties.message_id)
            if by_message_id.get(message_id) == tag:
                del by_message_id[message_id]
            if not future.done():
                if confirmations.get(tag) is future:
                    del confirmations[tag]
                future.cancel()


def _outcome(future: asyncio.Future[Any], unsettled: BaseException) -> object:
    if not future.done():
        return unsettled
    return future.exception() or future.result()


def _frames(
    channel: Channel, exchange: str, messages: Sequence[OutgoingMessage], mandatory: bool
) -> bytes:
    """Every message's method, header and body frames, marshalled in order."""
    number = channel.number
    max_chunk = channel.max_content_size
    publish_frames: dict[str, bytes] = {}  # the method frame depends on the key alone
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
    return b"".join(parts)


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
    payload = _frames(channel, exchange, messages, mandatory)
    loop = asyncio.get_running_loop()
    async with channel.lock:
        # Cancelled while waiting for room, the batch was never queued: nothing to undo.
        await channel.write_queue.put(ChannelFrame(payload=payload, should_close=False))
        # No await from here on: the writer sends the batch only after this returns, so
        # every confirmation is registered before the broker can answer any of them.
        first_tag = channel.delivery_tag + 1
        futures: list[asyncio.Future[Any]] = []
        for tag, message in enumerate(messages, start=first_tag):
            future = loop.create_future()
            channel.confirmations[tag] = future
            channel.message_id_delivery_tag[str(message.properties.message_id)] = tag
            futures.append(future)
        channel.delivery_tag = first_tag + len(messages) - 1
        return PendingConfirms(
            channel=channel, messages=messages, futures=futures, first_tag=first_tag
        )
