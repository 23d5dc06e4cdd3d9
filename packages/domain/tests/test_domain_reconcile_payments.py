"""ReconcilePayments: both records merged by payment id, every kind of mismatch found,
nothing reported where they agree, memory flat however long the window."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from wallet_domain.model.reconciliation import (
    LedgerPayment,
    Mismatch,
    MismatchKind,
    ProviderCharge,
)
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.ports.ledger_payments import LedgerPayments
from wallet_domain.ports.provider_charges import ProviderCharges
from wallet_domain.ports.reconcile_progress import ReconcileProgress
from wallet_domain.use_cases.reconcile_payments import ReconcilePayments, ReconcileRequest
from wallet_testkit.fakes.clock import FixedClock

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
WINDOW = ReconcileRequest(
    since=NOW - timedelta(hours=1), until=NOW, recovery_window=timedelta(minutes=5)
)
S = TransactionStatus


def _id(n: int) -> UUID:
    return UUID(int=n)


def ours(n: int, status: TransactionStatus, *, amount: int = 100, age_min: int = 30,
         refunded: int = 0, currency: str = "USD", redebited: int = 0,
         flagged: str | None = None) -> LedgerPayment:  # fmt: skip
    return LedgerPayment(
        id=_id(n), user_id="u", status=status, amount=amount, currency=currency,
        created_at=NOW - timedelta(minutes=age_min), refunded_amount=refunded,
        redebited_amount=redebited, flag_reason=flagged,
    )  # fmt: skip


def theirs(
    n: int, *, amount: int = 100, refunded: int = 0, currency: str = "USD"
) -> ProviderCharge:
    return ProviderCharge(
        payment_id=_id(n), amount=amount, currency=currency,
        charged_at=NOW - timedelta(minutes=29), refunded_amount=refunded,
    )  # fmt: skip


class Ledger(LedgerPayments):
    def __init__(self, window: Iterable[LedgerPayment], outside: Iterable[LedgerPayment] = ()):
        self._window = window
        self._outside = {p.id: p for p in outside}  # found by id only

    async def payments(self, since: datetime, until: datetime) -> AsyncIterator[LedgerPayment]:
        for payment in self._window:
            yield payment

    async def payment(self, payment_id: UUID) -> LedgerPayment | None:
        return self._outside.get(payment_id)


class Provider(ProviderCharges):
    def __init__(self, window: Iterable[ProviderCharge], charged_elsewhere: Iterable[int] = ()):
        self._window = window
        self._elsewhere = {_id(n) for n in charged_elsewhere}

    async def charges(self, since: datetime, until: datetime) -> AsyncIterator[ProviderCharge]:
        for charge in self._window:
            yield charge

    async def was_charged(self, payment_id: UUID) -> bool | None:
        return payment_id in self._elsewhere


async def _run(
    ledger: LedgerPayments, provider: ProviderCharges, request: ReconcileRequest = WINDOW
) -> list[Mismatch]:
    use_case = ReconcilePayments(ledger=ledger, provider=provider, clock=FixedClock(NOW))
    return [m async for m in use_case.execute(request)]


def _kinds(found: list[Mismatch]) -> dict[int, MismatchKind]:
    return {m.payment_id.int: m.kind for m in found}


async def test_agreeing_records_report_nothing() -> None:
    ledger = Ledger([ours(1, S.APPROVED), ours(2, S.DECLINED), ours(3, S.FAILED, refunded=100),
                     ours(4, S.PENDING, age_min=1)])  # fmt: skip
    provider = Provider([theirs(1), theirs(4)])

    assert await _run(ledger, provider) == []


async def test_every_kind_of_mismatch_is_found() -> None:
    ledger = Ledger(
        [
            ours(1, S.FAILED, refunded=100),  # the cut attempt: charged there anyway
            ours(2, S.APPROVED),  # never charged there
            ours(3, S.APPROVED, amount=100),  # charged 150 there
            ours(4, S.APPROVED),  # refunded there, not here
            ours(5, S.PENDING, age_min=30),  # past the recovery window
            ours(7, S.DECLINED, refunded=100),  # refunded here, as every decline is
        ]
    )
    provider = Provider(
        [theirs(1), theirs(3, amount=150), theirs(4, refunded=40), theirs(6), theirs(7)]
    )

    found = _kinds(await _run(ledger, provider))

    assert found == {
        1: MismatchKind.CHARGED_NOT_APPROVED,
        2: MismatchKind.APPROVED_NOT_CHARGED,
        3: MismatchKind.AMOUNT_DIFFERS,
        4: MismatchKind.REFUND_MISSING,
        5: MismatchKind.STALE_PENDING,
        6: MismatchKind.UNKNOWN_HERE,
        7: MismatchKind.CHARGED_NOT_APPROVED,
    }


async def test_a_re_debited_charge_the_provider_refunded_is_missing_until_credited() -> None:
    ledger = Ledger(
        [
            # re-debited, then the provider refunded 60 that was never credited here
            ours(1, S.FAILED, refunded=100, redebited=100),
            # the same, its refund credited (a PROVIDER_REFUND of the FAILED payment)
            ours(2, S.FAILED, refunded=160, redebited=100),
        ]
    )
    provider = Provider([theirs(1, refunded=60), theirs(2, refunded=60)])
    assert _kinds(await _run(ledger, provider)) == {1: MismatchKind.REFUND_MISSING}


async def test_refunds_credited_beyond_the_providers_are_over_credited_not_fixable() -> None:
    ledger = Ledger(
        [
            ours(1, S.APPROVED, refunded=60),  # credited 60; the provider lists 20
            # re-debited, then credited 60 of provider refunds; the provider lists 20
            ours(2, S.FAILED, refunded=160, redebited=100),
        ]
    )
    provider = Provider([theirs(1, refunded=20), theirs(2, refunded=20)])

    assert _kinds(await _run(ledger, provider)) == {
        1: MismatchKind.REFUND_OVER_CREDITED,
        2: MismatchKind.REFUND_OVER_CREDITED,  # not charged_not_approved: a re-debit is done
    }


async def test_a_refund_taken_back_or_refunded_there_too_is_no_longer_a_mismatch() -> None:
    ledger = Ledger(
        [
            ours(1, S.FAILED, refunded=100, redebited=100),  # corrected by a REDEBIT
            ours(2, S.FAILED, refunded=100),  # the provider refunded its charge too
            ours(3, S.FAILED, refunded=100, flagged="the balance does not cover it"),
        ]
    )
    provider = Provider([theirs(1), theirs(2, refunded=100), theirs(3)])

    found = await _run(ledger, provider)

    assert _kinds(found) == {3: MismatchKind.CHARGED_NOT_APPROVED}  # flagged: still open
    assert found[0].here is not None
    assert found[0].here.flag_reason == "the balance does not cover it"


class Walked(ReconcileProgress):
    def __init__(self) -> None:
        self.ids: list[int] = []

    def walked(self, payment_id: UUID) -> None:
        self.ids.append(payment_id.int)


async def test_progress_hears_of_every_payment_walked_in_id_order() -> None:
    progress = Walked()
    ledger = Ledger([ours(1, S.APPROVED), ours(3, S.APPROVED)])
    provider = Provider([theirs(1), theirs(2), theirs(3)])

    await _run(ledger, provider, replace(WINDOW, progress=progress))

    assert progress.ids == [1, 2, 3]


async def test_a_currency_that_differs_is_a_mismatch() -> None:
    found = await _run(Ledger([ours(1, S.APPROVED)]), Provider([theirs(1, currency="EUR")]))
    assert _kinds(found) == {1: MismatchKind.AMOUNT_DIFFERS}


async def test_one_side_only_is_looked_up_on_the_other_before_it_is_reported() -> None:
    """Created just before the window here, charged just inside it there (and the
    reverse): found by id, compared, not reported."""
    ledger = Ledger([ours(2, S.APPROVED)], outside=[ours(1, S.APPROVED)])
    provider = Provider([theirs(1)], charged_elsewhere=[2])

    assert await _run(ledger, provider) == []


async def test_a_young_pending_payment_is_left_to_the_recovery_worker() -> None:
    found = await _run(Ledger([ours(1, S.PENDING, age_min=4)]), Provider([theirs(1)]))
    assert found == []


@pytest.mark.parametrize("size", [10_000])
async def test_memory_stays_flat_over_a_long_window(size: int) -> None:
    """Both sides are generated lazily; the walk holds one item of each at a time."""

    def many_ours() -> Iterable[LedgerPayment]:
        for n in range(1, size + 1):
            yield ours(n, S.APPROVED)

    def many_theirs() -> Iterable[ProviderCharge]:
        for n in range(1, size + 1):
            yield theirs(n, amount=100 if n % 1000 else 99)  # every 1000th differs

    tracemalloc.start()
    try:
        found = await _run(Ledger(many_ours()), Provider(many_theirs()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(f"\nreconciling {size} payments: peak {peak / 1024:.0f} KiB traced")
    assert len(found) == size // 1000
    assert peak < 2_000_000, f"peak {peak} bytes for {size} payments"
