"""`wallet-admin dlq` against a real RabbitMQ, on a virtual host of its own: a message
dead-lettered by a consumer is listed with its reason, replayed to where it was first
published (then gone from the DLQ), refused when older than the inbox retention unless
forced, purged only with --yes; an interrupted replay loses nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
import pytest_asyncio
from wallet_domain.model.events import DomainEvent, EventType
from wallet_infra.messaging.topology import (
    AUDIT_DLQ_NAME,
    AUDIT_QUEUE_NAME,
    EVENTS_EXCHANGE,
    METRICS_QUEUE_NAME,
)
from wallet_ops import admin_cli
from wallet_ops.dlq.operations import Action, DeadLetterQueue, Selection
from wallet_testkit.amqp import connected_broker, ensure_topology, private_vhost, publish_event
from wallet_testkit.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def vhost_url(rabbit_control_and_url: tuple[Any, str]) -> Iterator[str]:
    control, base_url = rabbit_control_and_url
    with private_vhost(control, base_url, prefix="wallet-ops-") as vhost:
        yield vhost.url


@pytest_asyncio.fixture(loop_scope="session")
async def channel(vhost_url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    await ensure_topology(vhost_url)
    connection = await aio_pika.connect(vhost_url)
    try:
        yield await connection.channel(publisher_confirms=True, on_return_raises=True)
    finally:
        await connection.close()


def _event(occurred_at: datetime | None = None) -> DomainEvent:
    return DomainEvent(
        event_id=uuid4(),
        event_type=EventType.PAYMENT_COMPLETED,
        occurred_at=occurred_at or datetime.now(UTC),
        aggregate_id=uuid4(),
        user_id="u-dlq",
        payload={"status": "APPROVED", "amount": 500, "currency": "USD"},
    )


async def _dead_letter(url: str, channel: aio_pika.abc.AbstractChannel, event: DomainEvent) -> None:
    """Publish `event` as the relay does, then have the audit queue's consumer reject it
    for good (RabbitMQ dead-letters it, with an x-death record); the metrics copy is
    consumed so only the dead letter is left."""
    async with connected_broker(url) as broker:
        await publish_event(broker, event)
    for name in (AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME):
        message = await _get(await channel.get_queue(name, ensure=True))
        if name == AUDIT_QUEUE_NAME:
            await message.reject(requeue=False)
        else:
            await message.ack()
    await _one_ready_in_the_dlq(channel)


async def _get(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    found: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def arrived() -> bool:
        message = await queue.get(no_ack=False, fail=False, timeout=5)
        if message is not None:
            found.append(message)
        return bool(found)

    await eventually(arrived, timeout_s=5)
    return found[0]


async def _depth(channel: aio_pika.abc.AbstractChannel, name: str) -> int:
    queue = await channel.declare_queue(name, passive=True)
    return int(queue.declaration_result.message_count or 0)


async def _one_ready_in_the_dlq(channel: aio_pika.abc.AbstractChannel) -> None:
    """Until the one message is ready in the DLQ: dead-lettered, or handed back by a run
    that took it and did not act on it (the broker requeues it as the tool's channel
    closes, a moment after the tool ends)."""

    async def returned() -> bool:
        return await _depth(channel, AUDIT_DLQ_NAME) == 1

    await eventually(returned, timeout_s=5)


Cli = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
DeadLetter = Callable[..., Awaitable[DomainEvent]]


@pytest.fixture
def cli(vhost_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`wallet-admin dlq <args> --queue <audit DLQ> --format json` on the test's vhost: the
    exit code and the JSON report."""
    monkeypatch.setenv("WALLET_AMQP_URL", vhost_url)

    async def run(*args: str) -> tuple[int, dict[str, Any]]:
        code = await admin_cli.run_cli(
            ["dlq", *args, "--queue", AUDIT_DLQ_NAME, "--format", "json"]
        )
        out = capsys.readouterr().out
        return code, json.loads(out) if out else {}

    return run


async def _counts(cli: Cli, *args: str) -> dict[str, int]:
    """`wallet-admin dlq <args>`, which must exit 0: its report's counts."""
    code, report = await cli(*args)
    assert code == admin_cli.EXIT_OK, report
    counts: dict[str, int] = report["counts"]
    return counts


@pytest.fixture
def dead_letter(vhost_url: str, channel: aio_pika.abc.AbstractChannel) -> DeadLetter:
    """Dead-letter an event (`_event(occurred_at)`) on the test's vhost (see
    `_dead_letter`); it returns the event."""

    async def run(occurred_at: datetime | None = None) -> DomainEvent:
        event = _event(occurred_at)
        await _dead_letter(vhost_url, channel, event)
        return event

    return run


async def test_list_shows_the_dead_letter_and_changes_nothing(
    channel: aio_pika.abc.AbstractChannel,
    cli: Cli,
    dead_letter: DeadLetter,
) -> None:
    event = await dead_letter()

    code, report = await cli("list")

    assert code == admin_cli.EXIT_OK
    assert report["depth"] == 1
    [row] = report["messages"]
    assert row["message_id"] == str(event.event_id)
    assert (row["event_type"], row["reason"], row["queue"]) == (
        "payment.completed",
        "rejected",
        AUDIT_QUEUE_NAME,
    )
    assert (row["exchange"], row["routing_key"]) == (EVENTS_EXCHANGE.name, "payment.completed")
    assert row["action"] == "listed"
    await _one_ready_in_the_dlq(channel)


async def test_replay_moves_it_back_where_it_was_published_then_removes_it(
    channel: aio_pika.abc.AbstractChannel,
    cli: Cli,
    dead_letter: DeadLetter,
) -> None:
    event = await dead_letter()

    assert await _counts(cli, "replay") == {"replayed": 1}
    assert await _depth(channel, AUDIT_DLQ_NAME) == 0
    for name in (AUDIT_QUEUE_NAME, METRICS_QUEUE_NAME):  # routed as first published
        copy = await _get(await channel.get_queue(name, ensure=True))
        assert copy.message_id == str(event.event_id)
        assert json.loads(copy.body)["event_id"] == str(event.event_id)
        assert "x-death" not in (copy.headers or {})
        await copy.ack()


async def test_an_event_older_than_the_inbox_retention_is_refused_unless_forced(
    channel: aio_pika.abc.AbstractChannel,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
    dead_letter: DeadLetter,
) -> None:
    await dead_letter(datetime.now(UTC) - timedelta(days=8))
    monkeypatch.setenv("WALLET_INBOX_RETENTION_H", "168")

    code, report = await cli("replay")
    assert code == admin_cli.EXIT_REFUSED
    [row] = report["messages"]
    assert row["action"] == "refused"
    assert "inbox retention" in row["why"]
    await _one_ready_in_the_dlq(channel)

    assert await _counts(cli, "replay", "--force") == {"replayed": 1}
    assert await _depth(channel, AUDIT_DLQ_NAME) == 0


async def test_older_than_selects_only_long_dead_messages(
    channel: aio_pika.abc.AbstractChannel,
    cli: Cli,
    dead_letter: DeadLetter,
) -> None:
    await dead_letter()

    assert await _counts(cli, "replay", "--older-than", "1h") == {"skipped": 1}
    await _one_ready_in_the_dlq(channel)


async def test_purge_needs_yes_and_a_dry_run_changes_nothing(
    channel: aio_pika.abc.AbstractChannel,
    cli: Cli,
    dead_letter: DeadLetter,
) -> None:
    await dead_letter()

    code, _ = await cli("purge")
    assert code == admin_cli.EXIT_USAGE
    assert await _counts(cli, "purge", "--dry-run") == {"would_purge": 1}
    await _one_ready_in_the_dlq(channel)

    assert await _counts(cli, "purge", "--yes") == {"purged": 1}
    assert await _depth(channel, AUDIT_DLQ_NAME) == 0


async def test_an_interrupted_replay_loses_nothing(
    channel: aio_pika.abc.AbstractChannel,
    dead_letter: DeadLetter,
) -> None:
    """Cut between the confirmed copy and the removal from the DLQ: the message is in
    both places (at-least-once; consumers dedupe by event id), never in neither."""
    event = await dead_letter()
    queue = DeadLetterQueue(channel, AUDIT_DLQ_NAME, now=lambda: datetime.now(UTC))

    class Cut(Exception):
        pass

    original = queue._republish

    async def republish_then_die(*args: Any) -> None:
        await original(*args)
        raise Cut

    queue._republish = republish_then_die  # type: ignore[method-assign]
    with pytest.raises(Cut):
        await queue.replay(Selection(), retention_s=3600, force=False, dry_run=False)

    await _one_ready_in_the_dlq(channel)
    copy = await _get(await channel.get_queue(AUDIT_QUEUE_NAME, ensure=True))
    assert copy.message_id == str(event.event_id)
    await copy.ack()
    outcomes = await queue.show(Selection())
    assert [o.action for o in outcomes] == [Action.LISTED]


async def test_an_unreachable_broker_is_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WALLET_AMQP_URL", "amqp://guest:guest@127.0.0.1:1/")
    code = await admin_cli.run_cli(["dlq", "list", "--queue", AUDIT_DLQ_NAME])
    assert code == admin_cli.EXIT_FAILED
    assert "broker" in capsys.readouterr().err
