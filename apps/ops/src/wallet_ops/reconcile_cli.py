"""`wallet-reconcile --since T --until T`: the ledger's payments against the provider's
charges; every mismatch reported, by kind.

Exit codes: 0 no mismatch; 1 a failure (database or provider unreachable); 2 a usage
error; 4 mismatches found (listed on stdout). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TextIO

import orjson
from dishka import Provider, make_async_container
from wallet_domain.model.reconciliation import Mismatch
from wallet_domain.use_cases.reconcile_payments import ReconcilePayments, ReconcileRequest
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import CoreProvider, DatabaseProvider, SettingsProvider

from wallet_ops.ioc import ReconcileProvider
from wallet_ops.table import render_table

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_MISMATCHES: Final = 4
PROGRESS_EVERY_S: Final = 5.0
_COLUMNS: Final = (
    "kind", "payment_id", "user_id", "status_here", "amount_here", "amount_there",
    "currency_here", "currency_there", "refunded_here", "refunded_there", "created_at",
)  # fmt: skip


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="wallet-reconcile", description=__doc__.splitlines()[0])
    root.add_argument("--since", type=_moment, required=True, help="ISO 8601, inclusive")
    root.add_argument("--until", type=_moment, help="ISO 8601, exclusive (default: now)")
    root.add_argument("--format", choices=("table", "json"), default="table")
    return root


def row_of(mismatch: Mismatch) -> dict[str, Any]:
    here, there = mismatch.here, mismatch.there
    return {
        "kind": str(mismatch.kind),
        "payment_id": str(mismatch.payment_id),
        "user_id": None if here is None else here.user_id,
        "status_here": None if here is None else str(here.status),
        "amount_here": None if here is None else here.amount,
        "amount_there": None if there is None else there.amount,
        "currency_here": None if here is None else here.currency,
        "currency_there": None if there is None else there.currency,
        "refunded_here": None if here is None else here.refunded_amount,
        "refunded_there": None if there is None else there.refunded_amount,
        "created_at": None if here is None else here.created_at.isoformat(),
    }


async def reconcile(
    args: argparse.Namespace, settings: Settings, *providers: Provider, progress: TextIO
) -> list[Mismatch]:
    """Every mismatch in the window; `providers` override the defaults (tests)."""
    until = args.until or datetime.now(UTC)
    request = ReconcileRequest(
        since=args.since,
        until=until,
        recovery_window=timedelta(
            seconds=max(settings.recovery_min_age_s, 2 * settings.request_timeout_s)
        ),
    )
    container = make_async_container(
        SettingsProvider(settings), DatabaseProvider(), CoreProvider(), ReconcileProvider(),
        *providers,
    )  # fmt: skip
    found: list[Mismatch] = []
    started = last = time.monotonic()
    try:
        async with container() as scope:
            use_case = await scope.get(ReconcilePayments)
            async for mismatch in use_case.execute(request):
                found.append(mismatch)
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    progress.write(
                        f"wallet-reconcile: {len(found)} mismatch(es) so far, "
                        f"{last - started:.0f} s\n"
                    )
    finally:
        await container.close()
    return found


def report(args: argparse.Namespace, found: list[Mismatch], out: TextIO) -> None:
    rows = [row_of(m) for m in found]
    counts = dict(Counter(row["kind"] for row in rows))
    if args.format == "json":
        document = {
            "since": args.since.isoformat(),
            "until": (args.until or datetime.now(UTC)).isoformat(),
            "counts": counts,
            "mismatches": rows,
        }
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out.write(render_table(_COLUMNS, rows))
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no mismatch"
    out.write(f"{summary}\n")


async def run_cli(argv: Sequence[str] | None = None, *providers: Provider) -> int:
    args = parser().parse_args(argv)
    if args.until is not None and args.until <= args.since:
        print("wallet-reconcile: --until must be after --since", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = await reconcile(args, Settings(), *providers, progress=sys.stderr)
    except Exception as error:
        print(f"wallet-reconcile: {type(error).__name__}: reconciliation failed", file=sys.stderr)
        return EXIT_FAILED
    report(args, found, sys.stdout)
    return EXIT_MISMATCHES if found else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run_cli(argv))


if __name__ == "__main__":
    sys.exit(main())
