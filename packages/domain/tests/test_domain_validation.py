"""Input rules shared by the use cases: user ids, printable references, errors."""

from __future__ import annotations

from typing import Any

import pytest
from wallet_domain.errors import (
    DomainError,
    ErrorCode,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    PaymentDeclined,
    PaymentNotFound,
    ProviderNotFound,
    RateLimited,
    Unauthorized,
    ValidationError,
    WalletAlreadyExists,
    WalletNotFound,
)
from wallet_domain.model.external_reference import (
    MAX_DEPOSIT_REFERENCE,
    MAX_EXTERNAL_REFERENCE,
    validate_printable,
)
from wallet_domain.model.wallet import validate_user_id


@pytest.mark.parametrize("user_id", ["a", "alice", "A-b_9", "x" * 64, "0", "-", "_"])
def test_user_id_accepts_1_to_64_safe_characters(user_id: str) -> None:
    assert validate_user_id(user_id) == user_id


@pytest.mark.parametrize(
    "user_id",
    ["", "x" * 65, "al ice", "alice!", "ali/ce", "alicé", "alice\n", "١٢٣", "a.b", None, 42],
)
def test_user_id_rejects_anything_else(user_id: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_user_id(user_id)
    assert caught.value.details == {"field": "user_id"}


def test_reference_limits_match_the_spec() -> None:
    assert MAX_EXTERNAL_REFERENCE == 128
    assert MAX_DEPOSIT_REFERENCE == 128


@pytest.mark.parametrize(
    "value", ["b", "bill-42", "x" * 128, "Rechnung Nr. 7 é ü", "mock:declined:1"]
)
def test_printable_accepts_1_to_max_printable_characters(value: str) -> None:
    assert validate_printable(value, field="external_reference", max_length=128) == value


@pytest.mark.parametrize("value", ["", "x" * 129, None, 7])
def test_printable_rejects_bad_length_or_type(value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_printable(value, field="external_reference", max_length=128)
    assert caught.value.details == {"field": "external_reference"}
    assert "1-128" in caught.value.message


@pytest.mark.parametrize(
    "value", ["bill\n42", "tab\there", "nul\x00", "esc\x1b[0m", "del\x7f", "lone\ud800"]
)
def test_printable_rejects_control_characters(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_printable(value, field="reference", max_length=128)
    assert caught.value.details == {"field": "reference"}
    assert "printable" in caught.value.message


ERRORS: list[tuple[type[DomainError], ErrorCode]] = [
    (ValidationError, ErrorCode.VALIDATION_ERROR),
    (Unauthorized, ErrorCode.UNAUTHORIZED),
    (PaymentDeclined, ErrorCode.PAYMENT_DECLINED),
    (NotFound, ErrorCode.NOT_FOUND),
    (WalletNotFound, ErrorCode.NOT_FOUND),
    (ProviderNotFound, ErrorCode.NOT_FOUND),
    (PaymentNotFound, ErrorCode.NOT_FOUND),
    (InsufficientFunds, ErrorCode.INSUFFICIENT_FUNDS),
    (WalletAlreadyExists, ErrorCode.WALLET_ALREADY_EXISTS),
    (IdempotencyInProgress, ErrorCode.IDEMPOTENCY_IN_PROGRESS),
    (IdempotencyKeyReused, ErrorCode.IDEMPOTENCY_KEY_REUSED),
    (RateLimited, ErrorCode.RATE_LIMITED),
    (GatewayError, ErrorCode.GATEWAY_ERROR),
    (GatewayUnavailable, ErrorCode.GATEWAY_UNAVAILABLE),
    (GatewayTimeout, ErrorCode.GATEWAY_TIMEOUT),
    (DomainError, ErrorCode.INTERNAL),
]


@pytest.mark.parametrize(("error", "code"), ERRORS)
def test_every_error_has_a_stable_code_and_a_default_message(
    error: type[DomainError], code: ErrorCode
) -> None:
    raised = error()
    assert raised.code is code
    assert raised.message == error.default_message
    assert str(raised) == raised.message
    assert raised.details == {}


def test_errors_carry_message_and_safe_details() -> None:
    error = WalletNotFound("no such wallet", user_id="bob")
    assert isinstance(error, NotFound)
    assert error.message == "no such wallet"
    assert error.details == {"user_id": "bob"}


@pytest.mark.parametrize("error", [GatewayUnavailable, RateLimited])
def test_retry_after_defaults_to_one_second_and_is_kept_out_of_details(
    error: type[GatewayUnavailable] | type[RateLimited],
) -> None:
    assert error().retry_after_s == 1
    raised = error(retry_after_s=30, reason="circuit open")
    assert raised.retry_after_s == 30
    assert raised.details == {"reason": "circuit open"}
