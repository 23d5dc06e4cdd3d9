"""What a payment tells the client and how gateway answers map to statuses."""

from __future__ import annotations

import pytest
from wallet_domain.errors import (
    ErrorCode,
    GatewayError,
    GatewayTimeout,
    PaymentDeclined,
)
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.payment_outcome import failure_for
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_domain.settlement import status_from_charge, status_from_lookup
from wallet_testkit.fakes.world import SAMPLE_PAYMENT_ID, sample_payment


def _details(status: str, **more: str) -> dict[str, str]:
    """The details of the error the sample payment in `status` answers with."""
    return {"payment_id": str(SAMPLE_PAYMENT_ID), "status": status, **more}


@pytest.mark.parametrize("timed_out", [False, True])
def test_approved_is_no_failure(timed_out: bool) -> None:
    assert failure_for(sample_payment(TransactionStatus.APPROVED), timed_out=timed_out) is None


@pytest.mark.parametrize("timed_out", [False, True])
def test_declined_is_payment_declined_with_id_and_status(timed_out: bool) -> None:
    error = failure_for(sample_payment(TransactionStatus.DECLINED), timed_out=timed_out)
    assert isinstance(error, PaymentDeclined)
    assert error.code is ErrorCode.PAYMENT_DECLINED
    assert error.details == _details("DECLINED")


def test_failed_without_timeout_is_a_gateway_error_refunded() -> None:
    error = failure_for(sample_payment(TransactionStatus.FAILED), timed_out=False)
    assert isinstance(error, GatewayError)
    assert error.details == _details("FAILED", resolution="refunded")


def test_failed_after_timeout_is_a_gateway_timeout_refunded() -> None:
    error = failure_for(sample_payment(TransactionStatus.FAILED), timed_out=True)
    assert isinstance(error, GatewayTimeout)
    assert error.details == _details("FAILED", resolution="refunded")
    assert "refunded" in error.message


@pytest.mark.parametrize("timed_out", [False, True])
def test_still_pending_is_a_gateway_timeout_with_funds_held(timed_out: bool) -> None:
    error = failure_for(sample_payment(TransactionStatus.PENDING), timed_out=timed_out)
    assert isinstance(error, GatewayTimeout)
    assert error.details == _details("PENDING", resolution="pending")
    assert "held" in error.message


@pytest.mark.parametrize(
    ("charge", "status"),
    [
        (ChargeStatus.APPROVED, TransactionStatus.APPROVED),
        (ChargeStatus.DECLINED, TransactionStatus.DECLINED),
        (ChargeStatus.FAILED, TransactionStatus.FAILED),
        (ChargeStatus.UNKNOWN, None),
    ],
)
def test_charge_result_decides_the_status_unless_unknown(
    charge: ChargeStatus, status: TransactionStatus | None
) -> None:
    assert status_from_charge(charge) is status


@pytest.mark.parametrize(
    ("lookup", "status"),
    [
        (LookupStatus.APPROVED, TransactionStatus.APPROVED),
        (LookupStatus.DECLINED, TransactionStatus.DECLINED),
        (LookupStatus.NOT_CHARGED, TransactionStatus.FAILED),
        (LookupStatus.PENDING, None),
        (LookupStatus.UNKNOWN, None),
    ],
)
def test_lookup_result_decides_the_status_unless_unknown(
    lookup: LookupStatus, status: TransactionStatus | None
) -> None:
    assert status_from_lookup(lookup) is status


def test_every_gateway_answer_is_mapped() -> None:
    assert {c for c in ChargeStatus if status_from_charge(c) is None} == {ChargeStatus.UNKNOWN}
    undecided = {s for s in LookupStatus if status_from_lookup(s) is None}
    assert undecided == {LookupStatus.PENDING, LookupStatus.UNKNOWN}
