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
    """Base of every expected failure. `details` must be safe to show a client."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)


class ValidationError(DomainError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "request is invalid"


class Unauthorized(DomainError):
    code = ErrorCode.UNAUTHORIZED
    default_message = "missing or invalid API key"


class WebhookSignatureInvalid(Unauthorized):
    """A provider webhook whose signature, headers or timestamp do not verify."""

    default_message = "webhook signature is missing, invalid or expired"


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = "not found"


class WalletNotFound(NotFound):
    default_message = "wallet not found"


class ProviderNotFound(NotFound):
    default_message = "service provider not found"


class PaymentNotFound(NotFound):
    default_message = "payment not found"


class HoldNotFound(NotFound):
    default_message = "hold not found"


class DepositNotFound(NotFound):
    default_message = "deposit not found"


class DisputeNotFound(NotFound):
    default_message = "dispute not found"


class InvalidState(DomainError):
    """The resource already left the state the action needs; `details.status` is where it is."""

    code = ErrorCode.INVALID_STATE
    default_message = "the resource is not in a state that allows this action"


class PreconditionFailed(DomainError):
    """The wallet changed since the client read the version it made its write conditional
    on (If-Match): nothing was written, the Idempotency-Key included."""

    code = ErrorCode.PRECONDITION_FAILED
    default_message = "the wallet changed since the version given in If-Match"


class TransferNotFound(NotFound):
    default_message = "transfer not found"


class InsufficientFunds(DomainError):
    code = ErrorCode.INSUFFICIENT_FUNDS
    default_message = "insufficient funds"


class WalletAlreadyExists(DomainError):
    code = ErrorCode.WALLET_ALREADY_EXISTS
    default_message = "wallet already exists"


class IdempotencyInProgress(DomainError):
    code = ErrorCode.IDEMPOTENCY_IN_PROGRESS
    default_message = "a request with this Idempotency-Key is still in progress"


class IdempotencyKeyReused(DomainError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = "Idempotency-Key was already used with a different request"


class PaymentDeclined(DomainError):
    code = ErrorCode.PAYMENT_DECLINED
    default_message = "payment declined by the provider"


class GatewayError(DomainError):
    code = ErrorCode.GATEWAY_ERROR
    default_message = "payment gateway failed; the payment was not charged and was refunded"


class RetryLater(DomainError):
    """A refusal the client may retry after `retry_after_s` seconds (its Retry-After)."""

    def __init__(self, message: str | None = None, *, retry_after_s: int = 1, **details: Any):
        super().__init__(message, **details)
        self.retry_after_s = retry_after_s


class GatewayUnavailable(RetryLater):
    code = ErrorCode.GATEWAY_UNAVAILABLE
    default_message = "payment gateway temporarily unavailable; nothing was debited"


class GatewayTimeout(DomainError):
    code = ErrorCode.GATEWAY_TIMEOUT
    default_message = "payment gateway timed out"


class RateLimited(RetryLater):
    code = ErrorCode.RATE_LIMITED
    default_message = "too many requests"
