"""The payer's reference at the provider (e.g. a bill number)."""

from __future__ import annotations

from typing import Final

from wallet_domain.errors import ValidationError

MAX_EXTERNAL_REFERENCE: Final = 128
MAX_DEPOSIT_REFERENCE: Final = 128


def validate_printable(value: str, *, field: str, max_length: int) -> str:
    """1..max_length printable characters (no control characters)."""
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise ValidationError(f"{field} must be 1-{max_length} characters", field=field)
    if not value.isprintable():
        raise ValidationError(f"{field} must contain printable characters only", field=field)
    return value


def optional_reference(value: str | None, *, max_length: int = MAX_DEPOSIT_REFERENCE) -> str | None:
    """A client's own optional `reference` (deposits, holds, transfers): absent, or
    1..max_length printable characters."""
    if value is None:
        return None
    return validate_printable(value, field="reference", max_length=max_length)
