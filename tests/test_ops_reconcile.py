"""`wallet-reconcile` against the real ledger (PostgreSQL) and the mock provider: every
kind of mismatch staged on purpose (the provider's admin endpoints and modes, the cut
charge attempt racing the provider included) is reported once; `--fix` re-debits the
refund the provider's late charge made wrong (or flags it when the balance does not cover
it) and settles stale PENDING payments with the provider's outcome, leaving the rest
reported; a second `--fix` changes nothing; the exit code says whether anything is
unresolved."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from uuid import UUID

import httpx
import pytest
from dishka import Provider, Scope, provide
from mock_gateway.state import Outcome
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.correction import Correction, CorrectionKind, RefundedChargePolicy
from wallet_domain.model.reconciliation import MismatchKind
from wallet_domain.money import Money
from wallet_domain.ports.charge_corrections import ChargeCorrections
from wallet_domain.ports.provider_event_log import ProviderEventLog
from wallet_domain.use_cases.correct_refunded_charge import (
    NOT_COVERED,
    REFUNDED_SINCE,
    CorrectionOutcome,
    CorrectionResult,
    CorrectRefundedCharge,
    CorrectRefundedChargeRequest,
)
from wallet_infra.config.settings import Settings
from wallet_infra.ids import UuidV7Generator
from wallet_infra.persistence import SqlaChargeCorrections
from wallet_infra.persistence.provider_event_log import AsyncpgProviderEventLog
from wallet_ops import reconcile_cli
from wallet_ops.ioc import ProviderRecordsClient
from wallet_testkit.api import MockGatewayClientProvider, new_user_id
from wallet_testkit.db import fetch, until_waiting_on_a_lock
from wallet_testkit.metrics import scrape_url, value
from wallet_testkit.polling import eventually
from wallet_testkit.processes import free_port
from wallet_testkit.webhooks import signed_headers

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

from .money_safety_kit import (
    PROVIDER_ID,
    assert_money_invariants,
    in_process_api,
    private_database,
)
from .money_safety_outbox import assert_outbox_matches_ledger

pytestmark = pytest.mark.integration

MOCK_HANG_S: Final = 0.3
FAST_GATEWAY: Final[dict[str, Any]] = {
    "gateway_attempt_timeout_s": 0.1,
    "gateway_max_attempts": 1,
    "recovery_enabled": False,
}


class MockRecords(Provider):
    """The provider's records read from the in-process mock instead of over the network."""

    scope = Scope.APP

    def __init__(self, mock: Any) -> None:
        super().__init__()
        self._mock = mock

    @provide
    async def client(self) -> AsyncIterator[ProviderRecordsClient]:
        transport = httpx.ASGITransport(app=self._mock)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield ProviderRecordsClient(client)


def _mocked(mock: Any) -> tuple[Provider, ...]:
    """Both ways the tool reaches the provider (its records, and the gateway's lookups)."""
    return MockRecords(mock), MockGatewayClientProvider(mock)


def _admin(mock: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=mock), base_url="http://m")


@asynccontextmanager
async def _staged(
    database_url: str,
) -> AsyncIterator[tuple[str, httpx.AsyncClient, httpx.AsyncClient, Any]]:
    """A fresh database, the API paying through an in-process mock provider, a client of
    the mock's admin endpoints, and the mock itself."""
    mock = create_mock_gateway(MockGatewaySettings(hang_s=MOCK_HANG_S))
    async with (
        private_database(database_url) as dsn,
        in_process_api(dsn, mock, **FAST_GATEWAY) as (_, api),
        _admin(mock) as admin,
    ):
        yield dsn, api, admin, mock


async def _wallet(api: httpx.AsyncClient, amount: int) -> str:
    user_id = new_user_id("rec")
    assert (await api.post("/wallets", json={"user_id": user_id})).status_code == 201
    deposit = {"amount": amount, "currency": "USD"}
    headers = {"Idempotency-Key": f"d-{user_id}"}
    assert (
        await api.post(f"/wallets/{user_id}/deposits", json=deposit, headers=headers)
    ).is_success
    return user_id


async def _pay(api: httpx.AsyncClient, user_id: str, reference: str, amount: int) -> str:
    reply = await api.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": reference,
            "amount": amount,
            "currency": "USD",
        },
        headers={"Idempotency-Key": f"{user_id}-{reference}"},
    )
    body = reply.json()
    payment_id = body["id"] if reply.status_code == 201 else body["error"]["details"]["payment_id"]
    return str(payment_id)


async def _late_charge(api: httpx.AsyncClient, admin: httpx.AsyncClient, user_id: str,
                       reference: str, amount: int) -> str:  # fmt: skip
    """The race: our deadline cuts the attempt, the lookup says "not charged", so the
    payment ends FAILED and refunded; then the provider's charge lands."""
    payment_id = await _pay(api, user_id, f"mock:late_charge:{reference}", amount)

    async def charged() -> bool:
        return (await admin.get("/admin/stats")).json()["charges"].get(payment_id) == 1

    await eventually(charged, timeout_s=10)
    return payment_id


async def _refund_there(
    admin: httpx.AsyncClient, mock: Any, payment_id: str, amount: int | None = None
) -> bytes:
    """The provider refunds (part of) its charge; the body of the webhook it sends."""
    refund = {} if amount is None else {"amount": amount}
    refunded = await admin.post(f"/admin/charges/{payment_id}/refunds", json=refund)
    assert refunded.is_success, refunded.text
    event_id = refunded.json()["webhook"]["provider_event_id"]
    body: bytes = mock.state.gateway.webhooks.deliveries[event_id].body
    return body


async def _deliver(api: httpx.AsyncClient, body: bytes, outcome: str = "applied") -> None:
    """The provider's webhook reaches the wallet (and, by default, credits it)."""
    event_id = json.loads(body)["provider_event_id"]
    reply = await api.post(
        "/webhooks/gateway", content=body, headers=signed_headers(body, event_id)
    )
    assert reply.json() == {"status": outcome}


async def _balance(dsn: str, user_id: str) -> int:
    [row] = await fetch(dsn, "SELECT balance FROM wallet_balances WHERE user_id = $1", user_id)
    return int(row["balance"])


def _cli_window(since: datetime) -> list[str]:
    """The CLI's arguments for a window of two minutes from `since`: this test's payments."""
    return ["--since", since.isoformat(), "--until", (since + timedelta(minutes=2)).isoformat()]


def _settings(dsn: str, **values: Any) -> Settings:
    # A recovery window of milliseconds: every PENDING payment of the test is past it.
    return Settings.model_validate(
        {
            "database_url": dsn,
            "recovery_min_age_s": 0.001,
            "request_timeout_s": 0.001,
            "recovery_lookup_timeout_s": 2.0,
            **values,
        }
    )


async def _state(dsn: str) -> dict[str, Any]:
    """Everything a correction would change: balances, the ledger, corrections, events."""
    queries = {
        "balances": "SELECT user_id, currency, balance, pending_debit FROM wallet_balances",
        "ledger": "SELECT id::text, type, status, amount FROM transactions",
        "corrections": "SELECT payment_id::text, kind, reason FROM reconciliation_corrections",
        "outbox": "SELECT event_type, aggregate_id::text FROM outbox",
    }
    return {name: sorted(map(tuple, await fetch(dsn, sql))) for name, sql in queries.items()}


async def test_every_mismatch_kind_is_reported_fixed_where_safe_and_a_second_fix_changes_nothing(
    database_url: str,
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        rich, poor = await _wallet(api, 100_000), await _wallet(api, 500)
        fine = await _pay(api, rich, "ok-1", 100)
        declined = await _pay(api, rich, "mock:declined:bill", 100)
        cut = await _late_charge(api, admin, rich, "cut", 200)
        uncovered = await _late_charge(api, admin, poor, "cut", 500)
        await _pay(api, poor, "spent", 400)  # 100 left: less than the 500 to take back
        gone = await _pay(api, rich, "gone", 300)
        other_amount = await _pay(api, rich, "amount", 400)
        refunded_there = await _pay(api, rich, "refund", 500)
        over_credited = await _pay(api, rich, "over", 300)
        held = await _pay(api, rich, "mock:unknown:held", 600)
        charged_late = await _pay(api, rich, "mock:unknown:charged", 700)
        never_charged = await _pay(api, rich, "mock:unknown:lost", 800)
        stranger = str(UuidV7Generator().new_id())
        usd = {"currency": "USD"}
        assert (await admin.delete(f"/admin/charges/{gone}")).is_success
        await admin.put(f"/admin/charges/{other_amount}", json={"amount": 450, **usd})
        await admin.put(
            f"/admin/charges/{refunded_there}", json={"amount": 500, "refunded_amount": 50, **usd}
        )
        await admin.put(f"/admin/charges/{stranger}", json={"amount": 700, **usd})
        # A refund of 100 credited here that the provider's record no longer shows.
        await _deliver(api, await _refund_there(admin, mock, over_credited, 100))
        await admin.put(f"/admin/charges/{over_credited}", json={"amount": 300, **usd})
        # The provider can now tell: one PENDING payment was charged, one never was.
        await admin.put(f"/admin/charges/{charged_late}", json={"amount": 700, **usd})
        assert (await admin.delete(f"/admin/charges/{never_charged}")).is_success

        settings = _settings(dsn)
        until = datetime.now(UTC) + timedelta(minutes=1)

        async def run(*, fix: bool) -> dict[str, tuple[str, str | None, bool]]:
            args = argparse.Namespace(since=since, until=until, format="json", fix=fix)
            found = await reconcile_cli.reconcile(
                args, settings, *_mocked(mock), progress=io.StringIO()
            )
            return {str(m.payment_id): (str(m.kind), m.resolution, m.fixed) for m in found}

        before = await _state(dsn)
        reported = await run(fix=False)
        assert await _state(dsn) == before  # without --fix it only reads
        fixed = await run(fix=True)
        after_fix = await _state(dsn)
        again = await run(fix=True)
        assert await _state(dsn) == after_fix  # the second --fix changes nothing
        balances = {row[0]: row[2] for row in after_fix["balances"]}
        events = await assert_outbox_matches_ledger(dsn, [rich, poor])

    stale, not_approved = "stale_pending", "charged_not_approved"
    assert reported == {
        cut: (not_approved, None, False),
        uncovered: (not_approved, None, False),
        gone: ("approved_not_charged", None, False),
        other_amount: ("amount_differs", None, False),
        refunded_there: ("refund_missing", None, False),
        over_credited: ("refund_over_credited", None, False),
        held: (stale, None, False),
        charged_late: (stale, None, False),
        never_charged: (stale, None, False),
        stranger: ("unknown_here", None, False),
    }
    assert fine not in reported
    assert declined not in reported
    flagged = f"flagged: {NOT_COVERED}"
    assert fixed == {
        **reported,
        cut: (not_approved, "redebited", True),
        uncovered: (not_approved, flagged, False),
        held: (stale, "not settled: the provider cannot tell yet", False),
        charged_late: (stale, "settled APPROVED", True),
        never_charged: (stale, "settled FAILED", True),
    }
    # Corrected and settled payments agree with the provider now: no longer reported.
    unresolved = {k: v for k, v in fixed.items() if not v[2]}
    assert again == unresolved

    # The re-debit: its own ledger row, correction record and event; the flag: stored.
    ledger = {row[0]: row for row in after_fix["ledger"]}
    [redebit] = [row for row in after_fix["ledger"] if row[1] == "REDEBIT"]
    assert redebit[2:] == ("COMPLETED", -200)
    assert ledger[charged_late][2] == "APPROVED"
    assert ledger[never_charged][2] == "FAILED"
    assert [(p, k) for p, k, _ in after_fix["corrections"]] == sorted(
        [(cut, "REDEBIT"), (uncovered, "FLAG")]
    )
    assert ("payment.redebited", cut) in after_fix["outbox"]
    assert ("payment.redebited", cut) not in before["outbox"]
    assert events["payment.redebited"] == 1
    # 100,000 - 100 (ok) - 200 (re-debited) - 300 - 400 - 500 - (300 - 100 over-credited)
    # - 700 (settled APPROVED) - 600 (still held); the lost one refunded.
    assert balances[rich] == 100_000 - 100 - 200 - 300 - 400 - 500 - 200 - 700 - 600
    assert balances[poor] == 100


async def test_the_exit_code_is_zero_only_when_nothing_is_left_unresolved(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        for name, value in _settings(dsn).model_dump(include={"database_url"}).items():
            monkeypatch.setenv(f"WALLET_{name.upper()}", str(value))
        user_id = await _wallet(api, 10_000)
        window = _cli_window(since)

        async def run(*extra: str) -> int:
            return await reconcile_cli.run_cli([*window, *extra], *_mocked(mock))

        await _pay(api, user_id, "ok-1", 100)
        assert await run() == reconcile_cli.EXIT_OK
        assert capsys.readouterr().out.endswith("no mismatch; 0 fixed, 0 unresolved\n")

        cut = await _late_charge(api, admin, user_id, "cut", 200)
        assert await run() == reconcile_cli.EXIT_MISMATCHES
        capsys.readouterr()
        assert await run("--fix", "--format", "json") == reconcile_cli.EXIT_OK  # all fixed
        report = json.loads(capsys.readouterr().out)
        assert report["unresolved"] == {}
        assert [(m["payment_id"], m["resolution"]) for m in report["mismatches"]] == [
            (cut, "redebited")
        ]
        assert await run() == reconcile_cli.EXIT_OK  # corrected: agrees with the provider
        charges = (await admin.get("/admin/stats")).json()["charges"]
        assert await assert_money_invariants(dsn, [user_id], charges) == {
            "APPROVED": 1,
            "FAILED": 1,
        }

        gone = await _pay(api, user_id, "gone", 300)
        assert (await admin.delete(f"/admin/charges/{gone}")).is_success
        assert await run("--fix") == reconcile_cli.EXIT_MISMATCHES  # nothing safe to do
        assert "1 approved_not_charged; 0 fixed, 1 unresolved" in capsys.readouterr().out

        monkeypatch.setenv("WALLET_DATABASE_URL", "postgresql://wallet:wallet@127.0.0.1:1/none")
        assert await run() == reconcile_cli.EXIT_FAILED
        assert "reconciliation failed" in capsys.readouterr().err


async def test_the_periodic_job_exports_unresolved_mismatches_by_kind(database_url: str) -> None:
    port = free_port()
    async with _staged(database_url) as (dsn, api, admin, mock):
        user_id = await _wallet(api, 10_000)
        await _pay(api, user_id, "ok-1", 100)
        gone = await _pay(api, user_id, "gone", 300)
        assert (await admin.delete(f"/admin/charges/{gone}")).is_success
        await _late_charge(api, admin, user_id, "cut", 200)
        settings = _settings(
            dsn,
            reconcile_interval_s=3600,  # the round at start-up only
            reconcile_window_h=1,
            reconcile_metrics_port=port,
        )
        job = reconcile_cli.periodic_job(settings, *_mocked(mock), fix=True)
        stop = asyncio.Event()
        running = asyncio.create_task(job.run(stop))
        try:

            async def reconciled() -> bool:
                samples = await scrape_url(f"http://127.0.0.1:{port}")
                return value(samples, "wallet_reconciliation_last_success_timestamp_seconds") > 0

            await eventually(reconciled, timeout_s=30)
            samples = await scrape_url(f"http://127.0.0.1:{port}")
        finally:
            stop.set()
            await running

    gauge = "wallet_reconciliation_mismatches"
    assert {kind: value(samples, gauge, kind=kind) for kind in MismatchKind} == {
        kind: (1.0 if kind is MismatchKind.APPROVED_NOT_CHARGED else 0.0) for kind in MismatchKind
    }  # the cut attempt's charge was re-debited (--fix): not unresolved


class BrokenCorrection(Provider):
    """A re-debit whose every attempt fails, as a database error would make it."""

    scope = Scope.REQUEST

    @provide
    def correct(self) -> CorrectRefundedCharge:
        class Failing(CorrectRefundedCharge):
            def __init__(self) -> None:
                pass

            async def execute(self, request: CorrectRefundedChargeRequest) -> CorrectionResult:
                raise RuntimeError("database gone")

        return Failing()


async def test_a_correction_that_fails_is_reported_and_the_others_still_run(
    database_url: str,
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        user_id = await _wallet(api, 10_000)
        cut = await _late_charge(api, admin, user_id, "cut", 200)
        pending = await _pay(api, user_id, "mock:unknown:charged", 300)
        await admin.put(f"/admin/charges/{pending}", json={"amount": 300, "currency": "USD"})
        args = argparse.Namespace(
            since=since, until=since + timedelta(minutes=2), format="json", fix=True
        )
        found = await reconcile_cli.reconcile(
            args, _settings(dsn), *_mocked(mock), BrokenCorrection(), progress=io.StringIO()
        )

    assert {str(m.payment_id): (m.resolution, m.fixed) for m in found} == {
        cut: ("fix failed: RuntimeError", False),
        pending: ("settled APPROVED", True),
    }


def test_the_cli_refuses_a_window_that_ends_before_it_starts() -> None:
    code = reconcile_cli.main(["--since", "2026-12-06T10:00:00", "--until", "2026-12-06T09:00:00"])
    assert code == reconcile_cli.EXIT_USAGE


def test_the_cli_needs_a_start_unless_it_runs_as_a_periodic_job() -> None:
    assert reconcile_cli.main([]) == reconcile_cli.EXIT_USAGE


async def _bulk_payments(dsn: str, user_id: str, first_ms: int, count: int) -> list[str]:
    """`count` APPROVED payments written straight into the ledger, one millisecond apart
    (their UUIDv7 ids carry that time), 100 USD each; their ids in order."""
    await fetch(dsn, "INSERT INTO wallets (user_id) VALUES ($1)", user_id)
    rows = await fetch(
        dsn,
        """
        INSERT INTO transactions (id, user_id, type, status, amount, currency, provider_id,
                                  external_reference, created_at, updated_at)
        SELECT (lpad(to_hex($2::bigint + n), 12, '0') || '7000' || '8000'
                || lpad(to_hex(n), 12, '0'))::uuid,
               $1, 'PAYMENT', 'APPROVED', -100, 'USD', $3::uuid, 'bulk-' || n, now(), now()
        FROM generate_series(0, $4 - 1) AS n
        RETURNING id::text
        """,
        user_id,
        first_ms,
        PROVIDER_ID,
        count,
    )
    return sorted(row["id"] for row in rows)


async def test_a_window_of_10_000_payments_reconciles_in_bounded_memory(database_url: str) -> None:
    """Both sides are streamed (the ledger in batches, the provider page by page): the
    walk's peak memory over 10,000 payments is about that over 1,000."""
    size, every = 10_000, 1_000
    mock = create_mock_gateway(MockGatewaySettings())
    start = datetime.now(UTC) - timedelta(minutes=10)
    async with private_database(database_url) as dsn:
        ids = await _bulk_payments(dsn, new_user_id("bulk"), int(start.timestamp() * 1000), size)
        for n, payment_id in enumerate(ids):  # every 1,000th charged another amount
            charge = Outcome.approved(amount=100 if n % every else 101, currency="USD")
            charge.charged_at = start + timedelta(milliseconds=n)  # as the payment was made
            mock.gateway.put_charge(payment_id, charge)
        settings = _settings(dsn)

        async def peak_over(count: int) -> tuple[int, int]:
            """Mismatches found and traced peak bytes over the first `count` payments."""
            until = start + timedelta(milliseconds=count)
            args = argparse.Namespace(since=start, until=until, format="json", fix=False)
            tracemalloc.start()
            try:
                found = await reconcile_cli.reconcile(
                    args, settings, *_mocked(mock), progress=io.StringIO()
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return len([m for m in found if m.kind is MismatchKind.AMOUNT_DIFFERS]), peak

        await peak_over(every)  # warm-up: statements compiled, pools and clients made
        found_small, small = await peak_over(every)
        found_all, peak = await peak_over(size)

    print(f"\nreconciling {size} payments: peak {peak / 1024:.0f} KiB traced "
          f"({every}: {small / 1024:.0f} KiB)")  # fmt: skip
    assert (found_small, found_all) == (1, size // every)
    assert peak < 1.5 * small + 256 * 1024, (peak, small)


async def test_a_provider_refund_of_a_re_debited_charge_is_credited_or_reported(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        monkeypatch.setenv("WALLET_DATABASE_URL", dsn)
        window = _cli_window(since)

        async def run(*extra: str) -> int:
            return await reconcile_cli.run_cli(
                [*window, "--format", "json", *extra], *_mocked(mock)
            )

        credited, lost = await _wallet(api, 1_000), await _wallet(api, 1_000)
        cut_credited = await _late_charge(api, admin, credited, "cut-1", 200)
        cut_lost = await _late_charge(api, admin, lost, "cut-2", 200)
        assert await run("--fix") == reconcile_cli.EXIT_OK  # both re-debited
        capsys.readouterr()
        assert (await _balance(dsn, credited), await _balance(dsn, lost)) == (800, 800)

        # Delivered, the refund gives the re-debit back: the provider holds nothing now.
        await _deliver(api, await _refund_there(admin, mock, cut_credited))
        assert await _balance(dsn, credited) == 1_000
        # Never delivered (or refused): reconciliation reports it rather than agreeing.
        await _refund_there(admin, mock, cut_lost)
        assert await run() == reconcile_cli.EXIT_MISMATCHES
        report = json.loads(capsys.readouterr().out)
        assert [(m["payment_id"], m["kind"]) for m in report["mismatches"]] == [
            (cut_lost, MismatchKind.REFUND_MISSING.value)
        ]
        assert await _balance(dsn, lost) == 800

        # The provider's record then shows the credited refund gone: the wallet holds 200
        # it was never given. Reported, and not "fixed" by the re-debit already made.
        charge = {"amount": 200, "currency": "USD"}
        assert (await admin.put(f"/admin/charges/{cut_credited}", json=charge)).is_success
        assert await run("--fix") == reconcile_cli.EXIT_MISMATCHES
        report = json.loads(capsys.readouterr().out)
        over = {m["payment_id"]: m for m in report["mismatches"]}[cut_credited]
        assert (over["kind"], over["fixed"]) == (MismatchKind.REFUND_OVER_CREDITED.value, False)
        assert await _balance(dsn, credited) == 1_000


async def test_a_stale_payment_settled_by_fix_but_still_disagreeing_stays_unresolved(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        for name, value in (("DATABASE_URL", dsn), ("RECOVERY_MIN_AGE_S", "0.001"),
                            ("REQUEST_TIMEOUT_S", "0.001")):  # fmt: skip
            monkeypatch.setenv(f"WALLET_{name}", value)
        window = _cli_window(since)

        async def run(*extra: str) -> tuple[int, dict[str, Any]]:
            code = await reconcile_cli.run_cli(
                [*window, "--format", "json", *extra], *_mocked(mock)
            )
            return code, {
                m["payment_id"]: m for m in json.loads(capsys.readouterr().out)["mismatches"]
            }

        user_id = await _wallet(api, 10_000)
        pending = await _pay(api, user_id, "mock:unknown:held", 700)  # PENDING here
        # The provider charged it, then refunded 100 of it; the wallet heard of neither.
        charge = {"amount": 700, "currency": "USD", "refunded_amount": 100}
        assert (await admin.put(f"/admin/charges/{pending}", json=charge)).is_success

        code, fixed = await run("--fix")
        # Settled APPROVED, and what is left is reported, unresolved, by this same run.
        assert code == reconcile_cli.EXIT_MISMATCHES
        row = fixed[pending]
        assert (row["kind"], row["resolution"], row["fixed"]) == (
            MismatchKind.REFUND_MISSING.value,
            "settled APPROVED",
            False,
        )
        code, again = await run()
        assert code == reconcile_cli.EXIT_MISMATCHES
        assert [(p, m["kind"]) for p, m in again.items()] == [(pending, "refund_missing")]


def _stale_listing(user_id: str, payment_id: str) -> CorrectRefundedChargeRequest:
    """A re-debit decided on the provider's listing as read before its refund: charged the
    payment's 200, nothing refunded."""
    return CorrectRefundedChargeRequest(
        user_id=user_id,
        payment_id=UUID(payment_id),
        charged=Money(200, "USD"),
        refunded_there=0,
        policy=RefundedChargePolicy.REDEBIT,
    )


async def _correct(
    dsn: str, mock: Any, request: CorrectRefundedChargeRequest, *providers: Provider
) -> CorrectionResult:
    """`--fix`'s re-debit of one payment, through the tool's own container."""
    container = reconcile_cli.make_container(_settings(dsn), *_mocked(mock), *providers)
    try:
        async with container() as scope:
            use_case = await scope.get(CorrectRefundedCharge)
            return await use_case.execute(request)
    finally:
        await container.close()


class _ForgetfulEventLog(AsyncpgProviderEventLog):
    """The real event log, whose refund check misses every refund: a re-debit path that
    forgot the check, left with the database's trigger alone."""

    async def refund_recorded(self, payment_id: UUID) -> bool:
        return False


class _ForgetfulEventLogProvider(Provider):
    scope = Scope.REQUEST

    @provide
    def events(self, session: AsyncSession) -> ProviderEventLog:
        return _ForgetfulEventLog(session=session)


@pytest.mark.parametrize("forgetful", [False, True], ids=["use-case-check", "database-alone"])
async def test_a_provider_refund_refused_before_a_re_debit_stops_it(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    forgetful: bool,
) -> None:
    # The race: `--fix` read the provider's listing (charged, nothing refunded); the
    # provider then refunds its charge, and its webhook comes before the re-debit. The
    # use case's check stops it, and so does the database's trigger without that check.
    since = datetime.now(UTC) - timedelta(minutes=1)
    async with _staged(database_url) as (dsn, api, admin, mock):
        monkeypatch.setenv("WALLET_DATABASE_URL", dsn)
        user_id = await _wallet(api, 1_000)
        cut = await _late_charge(api, admin, user_id, "cut", 200)  # FAILED, refunded here
        refund = await _refund_there(admin, mock, cut)
        await _deliver(api, refund, "refused")  # the wallet has its 200 back already

        forgets = (_ForgetfulEventLogProvider(),) if forgetful else ()
        corrected = await _correct(dsn, mock, _stale_listing(user_id, cut), *forgets)

        # Taking the wallet's refund back would take the 200 twice: flagged instead.
        assert (corrected.outcome, corrected.reason) == (CorrectionOutcome.FLAGGED, REFUNDED_SINCE)
        assert await _balance(dsn, user_id) == 1_000
        await _deliver(api, refund, "duplicate")  # the provider's re-send changes nothing
        assert await _balance(dsn, user_id) == 1_000
        # Charged and refunded there, refunded here: the two sides agree.
        window = _cli_window(since)
        assert await reconcile_cli.run_cli([*window, "--format", "json"], *_mocked(mock)) == (
            reconcile_cli.EXIT_OK
        )
        capsys.readouterr()
        kept = {cut: 0}  # the provider charged, then gave it all back: it keeps nothing
        assert await assert_money_invariants(dsn, [user_id], kept) == {"FAILED": 1}


class _PausedCorrections(ChargeCorrections):
    """The real store, whose re-debit record waits for `go` once `reached` is set: the
    re-debit's transaction (the payment locked, the wallet debited) is then still open."""

    def __init__(self, store: ChargeCorrections, reached: asyncio.Event, go: asyncio.Event):
        self._store, self._reached, self._go = store, reached, go

    async def kinds(self, payment_id: UUID) -> frozenset[CorrectionKind]:
        return await self._store.kinds(payment_id)

    async def record(self, correction: Correction) -> bool:
        recorded = await self._store.record(correction)
        self._reached.set()
        await self._go.wait()
        return recorded


class _PausedCorrectionsProvider(Provider):
    scope = Scope.REQUEST

    def __init__(self, reached: asyncio.Event, go: asyncio.Event) -> None:
        super().__init__()
        self._reached, self._go = reached, go

    @provide
    def corrections(self, session: AsyncSession) -> ChargeCorrections:
        return _PausedCorrections(SqlaChargeCorrections(session=session), self._reached, self._go)


async def test_a_provider_refund_that_comes_during_a_re_debit_is_credited_after_it(
    database_url: str,
) -> None:
    # The other order of the same race: the webhook comes while the re-debit's transaction
    # (which has locked the payment) is still open. It waits, then sees the re-debit that
    # made room for the refund, and credits it.
    async with _staged(database_url) as (dsn, api, admin, mock):
        user_id = await _wallet(api, 1_000)
        cut = await _late_charge(api, admin, user_id, "cut", 200)
        refund = await _refund_there(admin, mock, cut)
        reached, go = asyncio.Event(), asyncio.Event()
        redebit = asyncio.create_task(
            _correct(
                dsn, mock, _stale_listing(user_id, cut), _PausedCorrectionsProvider(reached, go)
            )
        )
        await asyncio.wait_for(reached.wait(), timeout=10)
        delivered = asyncio.create_task(_deliver(api, refund))

        await until_waiting_on_a_lock(dsn, "%FOR UPDATE%")  # the webhook, on the payment
        go.set()
        assert (await redebit).outcome is CorrectionOutcome.REDEBITED
        await asyncio.wait_for(delivered, timeout=10)  # "applied": credited

        assert await _balance(dsn, user_id) == 1_000  # re-debited 200, then refunded 200
        refunds = await fetch(
            dsn,
            "SELECT amount FROM transactions WHERE type = 'PROVIDER_REFUND' AND user_id = $1",
            user_id,
        )
        assert [row["amount"] for row in refunds] == [200]
