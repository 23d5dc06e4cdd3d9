"""Looking at part of a DLQ (`list`, or a `--dry-run`, with `--max` below the depth) must
leave its order as it was: a quorum queue requeues a message given back at its tail, so a
tool that took only the head sent it behind the rest, and the next `purge`/`replay --max N`
acted on other messages than the ones the operator had just seen."""

from __future__ import annotations

import asyncio

import aio_pika
import pytest
from wallet_infra.messaging.topology import AUDIT_DLQ_NAME, AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME
from wallet_testkit.amqp import connected_broker, publish_event
from wallet_testkit.polling import eventually

from .test_ops_dlq import Cli, _depth, _event, _get, channel, cli, vhost_url  # noqa: F401

pytestmark = pytest.mark.integration


async def _dead_letter_three(url: str, on: aio_pika.abc.AbstractChannel) -> list[str]:
    events = [_event() for _ in range(3)]
    async with connected_broker(url) as broker:
        for event in events:
            await publish_event(broker, event)
    for name in (AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME):
        for _ in events:
            message = await _get(await on.get_queue(name, ensure=True))
            if name == AUDIT_QUEUE_NAME:
                await message.reject(requeue=False)
            else:
                await message.ack()
    for _ in range(100):
        if await _depth(on, AUDIT_DLQ_NAME) == 3:
            break
        await asyncio.sleep(0.05)
    return [str(event.event_id) for event in events]


async def _settled(on: aio_pika.abc.AbstractChannel) -> None:
    """Until the tool's channel is gone and what it took is ready again."""

    async def all_ready() -> bool:
        return await _depth(on, AUDIT_DLQ_NAME) == 3

    await eventually(all_ready, timeout_s=5)


async def test_a_purge_deletes_what_its_dry_run_showed(
    vhost_url: str,  # noqa: F811
    channel: aio_pika.abc.AbstractChannel,  # noqa: F811
    cli: Cli,  # noqa: F811
) -> None:
    ids = await _dead_letter_three(vhost_url, channel)

    code, shown = await cli("purge", "--max", "1", "--dry-run")
    assert code == 0
    assert [m["message_id"] for m in shown["messages"]] == [ids[0]]  # the head: the oldest
    await _settled(channel)
    code, listed = await cli("list", "--max", "1")
    assert [m["message_id"] for m in listed["messages"]] == [ids[0]]  # still the head
    await _settled(channel)

    code, done = await cli("purge", "--max", "1", "--yes")

    assert code == 0
    assert [m["message_id"] for m in done["messages"]] == [ids[0]]
