"""Domain errors. Each carries a stable code; the API maps codes to HTTP in one place."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    UNAUTHORIZED = "UNAUTHORIZED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    NOT_FOUND = "NOT_FOUND"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    WALLET_ALREADY_EXISTS = "WALLET_ALREADY_EXISTS"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    INVALID_STATE = "INVALID_STATE"
    PRECONDITION_FAILED = "PRECONDITION_FAILED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL = "INTERNAL"
    GATEWAY_ERROR = "GATEWAY_ERROR"
    GATEWAY_UNAVAILABLE = "GATEWAY_UNAVAILABLE"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"


class DomainError(Exception):
    """Base of every expected failure. `details` must be safe to show a client.

    A subclass names its code and default message in its header, so the list below reads
    as the table of failures a client can meet:
    `class WalletNotFound(NotFound, message="wallet not found"): ...` keeps NOT_FOUND."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL
    default_message: ClassVar[str] = "internal error"

    def __init_subclass__(
        cls, *, code: ErrorCode | None = None, message: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if message is not None:
            cls.default_message = message

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)


class ValidationError(
    DomainError, code=ErrorCode.VALIDATION_ERROR, message="request is invalid"
): ...


class Unauthorized(
    DomainError, code=ErrorCode.UNAUTHORIZED, message="missing or invalid API key"
): ...


class WebhookSignatureInvalid(
    Unauthorized, message="webhook signature is missing, invalid or expired"
):
    """A provider webhook whose signature, headers or timestamp do not verify."""


class NotFound(DomainError, code=ErrorCode.NOT_FOUND, message="not found"): ...


class WalletNotFound(NotFound, message="wallet not found"): ...


class ProviderNotFound(NotFound, message="service provider not found"): ...


class PaymentNotFound(NotFound, message="payment not found"): ...


class HoldNotFound(NotFound, message="hold not found"): ...


class DepositNotFound(NotFound, message="deposit not found"): ...


class DisputeNotFound(NotFound, message="dispute not found"): ...


class TransferNotFound(NotFound, message="transfer not found"): ...


class InvalidState(
    DomainError,
    code=ErrorCode.INVALID_STATE,
    message="the resource is not in a state that allows this action",
):
    """The resource already left the state the action needs; `details.status` is where it is."""


class RefundedByProvider(
    InvalidState, message="the provider refunded this charge: its refund here is not re-debited"
):
    """A re-debit of a payment whose provider `payment.refunded` is stored: refused by the
    store itself, whichever path wrote it (the provider gave the charge back, so the
    wallet's refund here was right)."""


class PreconditionFailed(
    DomainError,
    code=ErrorCode.PRECONDITION_FAILED,
    message="the wallet changed since the version given in If-Match",
):
    """The wallet changed since the client read the version it made its write conditional
    on (If-Match): nothing was written, the Idempotency-Key included."""


class InsufficientFunds(
    DomainError, code=ErrorCode.INSUFFICIENT_FUNDS, message="insufficient funds"
): ...


class WalletAlreadyExists(
    DomainError, code=ErrorCode.WALLET_ALREADY_EXISTS, message="wallet already exists"
): ...


class IdempotencyInProgress(
    DomainError,
    code=ErrorCode.IDEMPOTENCY_IN_PROGRESS,
    message="a request with this Idempotency-Key is still in progress",
): ...


class IdempotencyKeyReused(
    DomainError,
    code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
    message="Idempotency-Key was already used with a different request",
): ...


class PaymentDeclined(
    DomainError, code=ErrorCode.PAYMENT_DECLINED, message="payment declined by the provider"
): ...


class GatewayError(
    DomainError,
    code=ErrorCode.GATEWAY_ERROR,
    message="payment gateway failed; the payment was not charged and was refunded",
): ...


class RetryLater(DomainError):
    """A refusal the client may retry after `retry_after_s` seconds (its Retry-After)."""

    def __init__(self, message: str | None = None, *, retry_after_s: int = 1, **details: Any):
        super().__init__(message, **details)
        self.retry_after_s = retry_after_s


class GatewayUnavailable(
    RetryLater,
    code=ErrorCode.GATEWAY_UNAVAILABLE,
    message="payment gateway temporarily unavailable; nothing was debited",
): ...


class GatewayTimeout(
    DomainError, code=ErrorCode.GATEWAY_TIMEOUT, message="payment gateway timed out"
): ...


class RateLimited(RetryLater, code=ErrorCode.RATE_LIMITED, message="too many requests"): ...
