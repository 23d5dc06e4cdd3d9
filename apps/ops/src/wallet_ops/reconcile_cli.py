"""`wallet-reconcile --since T [--until T] [--fix]`: the ledger's payments against the
provider's charges; every mismatch reported, by kind, and with `--fix` the safe ones
corrected. `wallet-reconcile --every`: the same as a periodic job with Prometheus gauges.

Exit codes: 0 nothing unresolved; 1 a failure (database or provider unreachable); 2 a
usage error; 4 unresolved mismatches (listed on stdout). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TextIO

import orjson
from dishka import AsyncContainer, Provider, make_async_container
from wallet_domain.model.correction import RefundedChargePolicy
from wallet_domain.model.reconciliation import Mismatch
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import infra_providers
from wallet_infra.ioc.recovery import RecoveryBackoffProvider
from wallet_infra.logging_setup import configure_logging

from wallet_ops.ioc import ReconcileProvider
from wallet_ops.reconcile_job import ReconcileJob, window_ending
from wallet_ops.reconcile_metrics import ReconcileMetrics
from wallet_ops.reconcile_progress import progress_on
from wallet_ops.reconcile_run import RunOptions, reconcile_window
from wallet_ops.table import render_table

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_MISMATCHES: Final = 4
_COLUMNS: Final = (
    "kind", "payment_id", "user_id", "status_here", "amount_here", "amount_there",
    "currency_here", "currency_there", "refunded_here", "refunded_there", "created_at",
    "resolution",
)  # fmt: skip


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="wallet-reconcile", description=__doc__.splitlines()[0])
    root.add_argument(
        "--since", type=_moment, help="ISO 8601, inclusive (required but with --every)"
    )
    root.add_argument("--until", type=_moment, help="ISO 8601, exclusive (default: now)")
    root.add_argument("--format", choices=("table", "json"), default="table")
    root.add_argument(
        "--fix",
        action="store_true",
        help="correct what is safe: re-debit (or flag) charges refunded here, settle stale "
        "PENDING payments with the provider's outcome; the rest is reported",
    )
    root.add_argument(
        "--every",
        action="store_true",
        help="run as a periodic job (WALLET_RECONCILE_INTERVAL_S, WALLET_RECONCILE_WINDOW_H) "
        "serving wallet_reconciliation_mismatches on WALLET_RECONCILE_METRICS_PORT",
    )
    return root


def run_options(settings: Settings, *, since: datetime, until: datetime, fix: bool) -> RunOptions:
    return RunOptions(
        since=since,
        until=until,
        # What the recovery worker leaves to itself: past it, a PENDING should be settled.
        recovery_window=timedelta(
            seconds=max(settings.recovery_min_age_s, 2 * settings.request_timeout_s)
        ),
        fix=fix,
        policy=RefundedChargePolicy(settings.reconcile_charged_but_refunded),
        lookup_timeout_s=settings.recovery_lookup_timeout_s,
    )


def make_container(settings: Settings, *providers: Provider) -> AsyncContainer:
    """Infra's providers and the tool's own; `providers` override them (tests)."""
    return make_async_container(
        *infra_providers(settings), RecoveryBackoffProvider(), ReconcileProvider(), *providers
    )


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
        "resolution": mismatch.resolution,
        "fixed": mismatch.fixed,
    }


async def reconcile(
    args: argparse.Namespace, settings: Settings, *providers: Provider, progress: TextIO
) -> list[Mismatch]:
    """Every mismatch in the window (fixed if `args.fix`); `providers` override (tests)."""
    until = args.until or datetime.now(UTC)
    options = run_options(settings, since=args.since, until=until, fix=args.fix)
    container = make_container(settings, *providers)
    try:
        with progress_on(progress, args.since, until) as walked:
            return await reconcile_window(container, options, walked)
    finally:
        await container.close()


def report(args: argparse.Namespace, found: list[Mismatch], out: TextIO) -> None:
    rows = [row_of(m) for m in found]
    counts = dict(Counter(row["kind"] for row in rows))
    unresolved = dict(Counter(row["kind"] for row in rows if not row["fixed"]))
    if args.format == "json":
        document = {
            "since": args.since.isoformat(),
            "until": (args.until or datetime.now(UTC)).isoformat(),
            "counts": counts,
            "unresolved": unresolved,
            "mismatches": rows,
        }
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    out.write(render_table(_COLUMNS, rows))
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no mismatch"
    fixed = sum(1 for row in rows if row["fixed"])
    out.write(f"{summary}; {fixed} fixed, {len(rows) - fixed} unresolved\n")


def periodic_job(settings: Settings, *providers: Provider, fix: bool) -> ReconcileJob:
    def options(now: datetime) -> RunOptions:
        since, until = window_ending(settings, now)
        return run_options(settings, since=since, until=until, fix=fix)

    return ReconcileJob(
        container=make_container(settings, *providers),
        settings=settings,
        options=options,
        metrics=ReconcileMetrics(),
    )


async def run_cli(argv: Sequence[str] | None = None, *providers: Provider) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    # Logs go to stderr, like progress: stdout carries the report alone.
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    # httpx logs every request at INFO: a walk's page and lookup requests would drown the
    # progress lines and the summary.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.every:
        if not settings.reconcile_interval_s:
            print("wallet-reconcile: WALLET_RECONCILE_INTERVAL_S is 0 (off)", file=sys.stderr)
            return EXIT_USAGE
        await periodic_job(settings, *providers, fix=args.fix).serve()
        return EXIT_OK
    if args.since is None:
        print("wallet-reconcile: --since is required (or --every)", file=sys.stderr)
        return EXIT_USAGE
    if args.until is not None and args.until <= args.since:
        print("wallet-reconcile: --until must be after --since", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = await reconcile(args, settings, *providers, progress=sys.stderr)
    except Exception as error:
        print(f"wallet-reconcile: {type(error).__name__}: reconciliation failed", file=sys.stderr)
        return EXIT_FAILED
    report(args, found, sys.stdout)
    return EXIT_MISMATCHES if any(not m.fixed for m in found) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run_cli(argv))


if __name__ == "__main__":
    sys.exit(main())
