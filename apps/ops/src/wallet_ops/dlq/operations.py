"""list / replay / purge on one dead-letter queue, over one AMQP channel with confirms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from wallet_ops.dlq.dead_letter import DeadLetter, dead_letter_of

DEFAULT_MAX: Final = 1000
# Headers RabbitMQ adds when it dead-letters; a replayed message starts without them.
_DEATH_HEADERS: Final = ("x-death", "x-first-death-exchange", "x-first-death-queue",
                         "x-first-death-reason", "x-last-death-exchange",
                         "x-last-death-queue", "x-last-death-reason")  # fmt: skip


class Action(StrEnum):
    LISTED = "listed"
    REPLAYED = "replayed"
    PURGED = "purged"
    WOULD_REPLAY = "would_replay"
    WOULD_PURGE = "would_purge"
    REFUSED = "refused"
    SKIPPED = "skipped"  # not selected (younger than --older-than)


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which messages a command acts on: at most `max_messages`, taken oldest first from
    the head of the queue, and of those only the ones dead-lettered over
    `older_than_s` ago (all when None)."""

    max_messages: int = DEFAULT_MAX
    older_than_s: float | None = None

    def __post_init__(self) -> None:
        # The run acts on `taken[:max_messages]`: a negative count would act on all but a few.
        if self.max_messages < 1:
            raise ValueError(f"max_messages must be at least 1, not {self.max_messages}")

    def selects(self, letter: DeadLetter, now: datetime) -> bool:
        if self.older_than_s is None:
            return True
        if letter.dead_lettered_at is None:
            return False
        return (now - letter.dead_lettered_at).total_seconds() > self.older_than_s


@dataclass(frozen=True, slots=True)
class Outcome:
    letter: DeadLetter
    action: Action
    why: str | None = None


class DeadLetterQueue:
    """One DLQ on `channel` (which must have publisher confirms on for `replay`)."""

    def __init__(self, channel: AbstractChannel, name: str, *, now: Callable[[], datetime]) -> None:
        self._channel = channel
        self._name = name
        self._now = now

    async def depth(self) -> int:
        queue = await self._channel.declare_queue(self._name, passive=True)
        count = queue.declaration_result.message_count
        return int(count or 0)

    async def show(self, selection: Selection) -> list[Outcome]:
        """Looks without changing anything: every message taken is returned."""

        async def look(_: AbstractIncomingMessage, letter: DeadLetter) -> Outcome:
            return Outcome(letter, Action.LISTED)

        return await self._each(selection, look)

    async def purge(self, selection: Selection, *, dry_run: bool) -> list[Outcome]:
        async def drop(message: AbstractIncomingMessage, letter: DeadLetter) -> Outcome:
            if dry_run:
                return Outcome(letter, Action.WOULD_PURGE)
            await message.ack()
            return Outcome(letter, Action.PURGED)

        return await self._each(selection, drop)

    async def replay(
        self, selection: Selection, *, retention_s: float, force: bool, dry_run: bool
    ) -> list[Outcome]:
        """Republish each selected message to its first exchange and routing key, then
        remove it here. An event older than `retention_s` (or of unknown age) is refused
        unless `force`: the consumers no longer remember it, so a copy they had already
        handled would count twice."""

        async def move(message: AbstractIncomingMessage, letter: DeadLetter) -> Outcome:
            age = letter.age_at(self._now())
            if not force and (age is None or age > retention_s):
                why = (
                    "its age is unknown"
                    if age is None
                    else (
                        f"older than the inbox retention ({age / 3600:.1f} h > "
                        f"{retention_s / 3600:.1f} h)"
                    )
                )
                return Outcome(letter, Action.REFUSED, f"{why}; --force replays it")
            if dry_run:
                return Outcome(letter, Action.WOULD_REPLAY)
            await self._republish(message, letter)
            await message.ack()  # only once the broker confirmed the copy
            return Outcome(letter, Action.REPLAYED)

        return await self._each(selection, move)

    async def _republish(self, message: AbstractIncomingMessage, letter: DeadLetter) -> None:
        headers = {k: v for k, v in (message.headers or {}).items() if k not in _DEATH_HEADERS}
        copy = aio_pika.Message(
            message.body,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            type=message.type,
            app_id=message.app_id,
        )
        exchange = (
            self._channel.default_exchange
            if letter.exchange == ""
            else await self._channel.get_exchange(letter.exchange, ensure=False)
        )
        # mandatory: an unroutable copy is an error (the channel raises), not a silent loss.
        await exchange.publish(copy, routing_key=letter.routing_key, mandatory=True)

    async def _each(
        self,
        selection: Selection,
        act: Callable[[AbstractIncomingMessage, DeadLetter], Awaitable[Outcome]],
    ) -> list[Outcome]:
        """Look at the first `selection.max_messages` (oldest first), act on the selected
        ones, and return every message not removed (acked) to the queue, in its order.

        Every message the queue holds when the run starts is taken, not only those looked
        at: a message given back goes to the tail of a quorum queue, so giving back only
        the head would move it behind the rest, and a dry run and the real run after it
        would act on different messages. All taken and given back in order, the queue's
        order is kept (each counts one delivery)."""
        queue = await self._channel.get_queue(self._name, ensure=True)
        present = queue.declaration_result.message_count or 0
        taken: list[AbstractIncomingMessage] = []
        outcomes: list[Outcome] = []
        try:
            while len(taken) < max(present, selection.max_messages):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                taken.append(message)
            now = self._now()
            for message in taken[: selection.max_messages]:
                letter = dead_letter_of(message)
                if not selection.selects(letter, now):
                    outcomes.append(Outcome(letter, Action.SKIPPED))
                    continue
                outcomes.append(await act(message, letter))
        finally:
            for message in taken:
                if not message.processed:
                    await message.nack(requeue=True)
        return outcomes
