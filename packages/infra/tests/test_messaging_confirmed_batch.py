"""`publish_confirmed` on a real aiormq confirm channel: it must keep aiormq's own
bookkeeping (delivery tags, returns, the message_id map) exactly as `basic_publish` does,
and leave nothing in it for a batch it gave up on."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import aiormq
import pytest
import pytest_asyncio
from aiormq.exceptions import ChannelInvalidStateError, PublishError
from pamqp.commands import Basic
from wallet_infra.messaging.confirmed_batch import OutgoingMessage, publish_confirmed

from .messaging_kit import HeldBroker

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def channel(amqp_url: str) -> AsyncIterator[aiormq.Channel]:
    connection = await aiormq.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        assert isinstance(channel, aiormq.Channel)
        yield channel
    finally:
        await connection.close()


async def _queue(channel: aiormq.Channel) -> str:
    declared = await channel.queue_declare(exclusive=True, auto_delete=True)
    assert declared.queue is not None
    return declared.queue


def _message(routing_key: str, body: bytes = b"{}") -> OutgoingMessage:
    return OutgoingMessage(
        body=body,
        routing_key=routing_key,
        properties=Basic.Properties(message_id=str(uuid4()), delivery_mode=2),
    )


async def test_a_batch_and_single_publishes_share_the_channels_delivery_tags(
    channel: aiormq.Channel,
) -> None:
    queue = await _queue(channel)
    assert isinstance(await channel.basic_publish(b"before", routing_key=queue), Basic.Ack)
    batch = [_message(queue) for _ in range(50)]

    pending = await publish_confirmed(channel, exchange="", messages=batch)
    after = await channel.basic_publish(b"after", routing_key=queue)

    results = await pending.settle(5.0)
    assert all(isinstance(result, Basic.Ack) for result in results)
    assert isinstance(after, Basic.Ack)
    assert channel.message_id_delivery_tag == {}
    assert not channel.confirmations
    assert (await channel.queue_declare(queue, passive=True)).message_count == 52


async def test_only_the_unroutable_message_of_a_batch_fails(channel: aiormq.Channel) -> None:
    queue = await _queue(channel)
    batch = [_message(queue), _message(f"nowhere-{uuid4().hex}"), _message(queue)]

    pending = await publish_confirmed(channel, exchange="", messages=batch)

    outcomes = await pending.settle(5.0)
    assert isinstance(outcomes[0], Basic.Ack)
    assert isinstance(outcomes[1], PublishError)
    assert isinstance(outcomes[2], Basic.Ack)


async def test_a_body_larger_than_a_frame_arrives_whole(channel: aiormq.Channel) -> None:
    queue = await _queue(channel)
    body = bytes(range(256)) * (channel.max_content_size // 256 * 2 + 3)

    pending = await publish_confirmed(channel, exchange="", messages=[_message(queue, body)])

    assert isinstance((await pending.settle(5.0))[0], Basic.Ack)
    delivered = await channel.basic_get(queue, no_ack=True)
    assert delivered.body == body


async def test_a_channel_the_broker_closes_fails_the_unsettled_messages_at_once(
    channel: aiormq.Channel,
) -> None:
    # Publishing to a missing exchange makes the broker close the channel (404): no
    # confirm will ever come, and the batch must not wait out its timeout for one.
    batch = [_message("any") for _ in range(20)]
    pending = await publish_confirmed(
        channel, exchange=f"wallet-test-missing-{uuid4().hex[:8]}", messages=batch
    )
    started = time.monotonic()

    outcomes = await pending.settle(30.0)

    assert time.monotonic() - started < 10.0
    assert all(isinstance(outcome, BaseException) for outcome in outcomes)
    assert not any(isinstance(outcome, TimeoutError) for outcome in outcomes)


async def test_a_closed_channel_sends_and_registers_nothing(channel: aiormq.Channel) -> None:
    queue = await _queue(channel)
    await channel.close()

    with pytest.raises(ChannelInvalidStateError):
        await publish_confirmed(channel, exchange="", messages=[_message(queue)])
    assert not channel.confirmations
    assert channel.delivery_tag == 0


async def test_a_timed_out_batch_leaves_nothing_behind_and_the_channel_publishes_on(
    amqp_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with HeldBroker(amqp_url) as broker:
        connection = await aiormq.connect(broker.url)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            assert isinstance(channel, aiormq.Channel)
            queue = await _queue(channel)
            broker.hold()  # the broker's confirms wait in the relay: they come too late

            pending = await publish_confirmed(
                channel, exchange="", messages=[_message(queue) for _ in range(30)]
            )
            outcomes = await pending.settle(0.2)

            assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)
            assert not channel.confirmations
            assert channel.message_id_delivery_tag == {}

            with caplog.at_level(logging.ERROR, logger="aiormq.channel"):
                broker.release()
                pending = await publish_confirmed(
                    channel, exchange="", messages=[_message(queue) for _ in range(20)]
                )
                outcomes = await pending.settle(5.0)

            assert all(isinstance(outcome, Basic.Ack) for outcome in outcomes)
            assert not channel.confirmations
            assert channel.message_id_delivery_tag == {}
            # One session's frames arrive in order: the late confirms were read, found no
            # tag and were dropped, before the next batch's confirms settled it.
            assert any("Unexpected confirmation" in r.getMessage() for r in caplog.records)
            # Unconfirmed is not unsent: the late batch did arrive (and is published again).
            assert (await channel.queue_declare(queue, passive=True)).message_count == 50
            assert isinstance(await channel.basic_publish(b"single", routing_key=queue), Basic.Ack)
        finally:
            await connection.close()
