"""`wallet-admin dlq list|replay|purge --queue Q`: the dead-letter queues, for operators.

Exit codes: 0 done; 1 the broker could not be reached or a publish failed; 2 a usage
error (an unknown queue, purge without `--yes`); 3 some selected messages were refused
(a replay of events older than the inbox retention without `--force`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, TextIO

import aio_pika
import orjson
from wallet_infra.config.settings import Settings
from wallet_infra.messaging.topology import DEAD_LETTER_QUEUES

from wallet_ops.dlq.operations import DEFAULT_MAX, Action, DeadLetterQueue, Outcome, Selection
from wallet_ops.durations import seconds
from wallet_ops.table import render_table

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_REFUSED: Final = 3
_QUEUES: Final = tuple(queue.name for queue in DEAD_LETTER_QUEUES)
_COLUMNS: Final = (
    "message_id",
    "event_type",
    "queue",
    "reason",
    "deaths",
    "age_s",
    "action",
    "why",
)


def _count(text: str) -> int:
    """An argparse `type=`: a whole number of messages, at least 1."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"not a count of at least 1: {text!r}")
    return count


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="wallet-admin", description=__doc__.splitlines()[0])
    tools = root.add_subparsers(dest="tool", required=True)
    dlq = tools.add_parser("dlq", help="inspect, replay or purge a dead-letter queue")
    commands = dlq.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("list", "show the messages (count, age, reason), changing nothing but delivery counts"),
        ("replay", "republish to the original exchange and routing key, then remove"),
        ("purge", "remove for good (needs --yes)"),
    ):
        command = commands.add_parser(name, help=help_)
        command.add_argument("--queue", required=True, choices=_QUEUES)
        command.add_argument(
            "--older-than",
            type=seconds,
            metavar="DURATION",
            help="only messages dead-lettered longer ago than this (90s, 15m, 2h, 7d)",
        )
        command.add_argument(
            "--max", type=_count, default=DEFAULT_MAX, metavar="N",
            help=f"look at most N messages from the head of the queue (default {DEFAULT_MAX})",
        )  # fmt: skip
        command.add_argument("--format", choices=("table", "json"), default="table")
        if name != "list":
            command.add_argument(
                "--dry-run", action="store_true", help="say what would happen; change nothing"
            )
        if name == "replay":
            command.add_argument(
                "--force",
                action="store_true",
                help="also replay events older than the inbox retention (may double count)",
            )
        if name == "purge":
            command.add_argument("--yes", action="store_true", help="really delete them")
    return root


async def run(args: argparse.Namespace, settings: Settings) -> tuple[int, dict[str, Any]]:
    selection = Selection(max_messages=args.max, older_than_s=args.older_than)
    connection = await aio_pika.connect(settings.amqp_url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = DeadLetterQueue(channel, args.queue, now=lambda: datetime.now(UTC))
        depth = await queue.depth()
        if args.command == "list":
            outcomes = await queue.show(selection)
        elif args.command == "replay":
            outcomes = await queue.replay(
                selection,
                retention_s=settings.inbox_retention_h * 3600.0,
                force=args.force,
                dry_run=args.dry_run,
            )
        else:
            outcomes = await queue.purge(selection, dry_run=args.dry_run)
    finally:
        await connection.close()
    code = EXIT_REFUSED if any(o.action is Action.REFUSED for o in outcomes) else EXIT_OK
    return code, _report(args.queue, depth, outcomes)


def _report(queue: str, depth: int, outcomes: list[Outcome]) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "queue": queue,
        "depth": depth,
        "counts": dict(Counter(str(o.action) for o in outcomes)),
        "messages": [
            {**o.letter.as_row(now), "action": str(o.action), "why": o.why} for o in outcomes
        ],
    }


def _print(report: dict[str, Any], output_format: str, out: TextIO) -> None:
    if output_format == "json":
        out.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out.write(render_table(_COLUMNS, report["messages"]))
    counts = ", ".join(f"{n} {action}" for action, n in sorted(report["counts"].items()))
    out.write(f"{report['queue']}: {report['depth']} message(s) before; {counts or 'none'}\n")


async def run_cli(argv: Sequence[str] | None = None) -> int:
    """The command, inside a running event loop; returns the exit code."""
    args = parser().parse_args(argv)
    if args.command == "purge" and not args.yes and not args.dry_run:
        print("wallet-admin: purge deletes messages for good: add --yes (or --dry-run)",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    try:
        code, report = await run(args, Settings())
    except (aio_pika.exceptions.AMQPError, OSError) as error:
        message = f"wallet-admin: {type(error).__name__}: the broker failed or refused"
        print(message, file=sys.stderr)
        return EXIT_FAILED
    _print(report, args.format, sys.stdout)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run_cli(argv))


if __name__ == "__main__":
    sys.exit(main())
