"""Review repro (2353ea2): `--max` is not validated, and since a run takes every message
present and acts on `taken[: max]`, a negative `--max` acts on all but the last |N|:
`purge --max -1 --yes` deletes every message but one (before 2353ea2 it did nothing)."""

from __future__ import annotations

import aio_pika
import pytest

from .test_ops_dlq import Cli, _depth, channel, cli, vhost_url  # noqa: F401
from .test_ops_dlq_order_kept import _dead_letter_three, _settled

pytestmark = pytest.mark.integration


@pytest.mark.xfail(
    strict=True,
    reason="--max -1 is accepted and purges every message but the last (taken[:-1])",
)
async def test_a_negative_max_is_refused_or_purges_nothing(
    vhost_url: str,  # noqa: F811
    channel: aio_pika.abc.AbstractChannel,  # noqa: F811
    cli: Cli,  # noqa: F811
) -> None:
    await _dead_letter_three(vhost_url, channel)

    try:
        code, done = await cli("purge", "--max", "-1", "--yes")
    except SystemExit as exit_:  # argparse refusing it would be fine
        assert exit_.code == 2
        return

    purged = [m for m in done["messages"] if m.get("action") == "purged"]
    assert purged == [], f"--max -1 purged {len(purged)} of 3"


@pytest.mark.xfail(
    strict=True,
    reason="a message dead-lettered while a run holds the DLQ goes ahead of all it gives "
    "back: the purge after a dry run acts on a message the operator never saw",
)
async def test_an_arrival_during_a_dry_run_does_not_become_the_head(
    vhost_url: str,  # noqa: F811
    channel: aio_pika.abc.AbstractChannel,  # noqa: F811
) -> None:
    """A message dead-lettered while a run holds the DLQ lands
    ahead of everything the run gives back, so the next `--max 1` sees it, not the head
    the dry run showed."""
    from datetime import UTC, datetime

    from wallet_ops.dlq.operations import Action, DeadLetterQueue, Outcome, Selection

    from .test_ops_dlq import _event
    from .test_ops_dlq_order_kept import _dead_letter_three as three

    ids = await three(vhost_url, channel)
    tool = DeadLetterQueue(channel, "audit.queue.dlq", now=lambda: datetime.now(UTC))
    late = _event()

    async def look_then_arrive(message, letter):  # type: ignore[no-untyped-def]
        # while the run holds the three: a fourth dies into the DLQ
        await channel.default_exchange.publish(
            aio_pika.Message(b"{}", message_id=str(late.event_id)), routing_key="audit.queue.dlq"
        )
        return Outcome(letter, Action.WOULD_PURGE)

    shown = await tool._each(Selection(max_messages=1), look_then_arrive)
    assert [o.letter.message_id for o in shown] == [ids[0]]

    import asyncio

    for _ in range(100):
        if await _depth(channel, "audit.queue.dlq") == 4:
            break
        await asyncio.sleep(0.05)
    queue = await channel.get_queue("audit.queue.dlq", ensure=True)
    head = await queue.get(no_ack=False, fail=False)
    assert head is not None
    await head.nack(requeue=True)
    print("head after the dry run:", head.message_id, "late:", late.event_id, "ids:", ids)
    assert head.message_id == ids[0], "the late message went ahead of the returned ones"
