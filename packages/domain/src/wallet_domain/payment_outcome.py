"""What a settled (or still pending) payment tells the client: 201, or its error code."""

from __future__ import annotations

from wallet_domain.errors import DomainError, GatewayError, GatewayTimeout, PaymentDeclined
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus


def failure_for(payment: LedgerEntry, *, timed_out: bool) -> DomainError | None:
    """The error a non-approved payment is reported as; None when it was approved.

    `timed_out` says the gateway's answer came from an outcome lookup after timeouts:
    then the client gets GATEWAY_TIMEOUT saying whether it was refunded or is pending.
    """
    ids = {"payment_id": str(payment.id), "status": payment.status.value}
    match payment.status:
        case TransactionStatus.APPROVED:
            return None
        case TransactionStatus.DECLINED:
            return PaymentDeclined(**ids)
        case TransactionStatus.PENDING:
            return GatewayTimeout(
                "payment gateway timed out and the outcome is not known yet; the funds stay "
                "held until it is resolved",
                resolution="pending",
                **ids,
            )
        case _ if timed_out:
            return GatewayTimeout(
                "payment gateway timed out without charging; the payment failed and was refunded",
                resolution="refunded",
                **ids,
            )
        case _:
            return GatewayError(resolution="refunded", **ids)
