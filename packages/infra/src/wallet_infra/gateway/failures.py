"""What a failed attempt says about the money: the basis for retrying and for the verdict."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import httpx


class Failure(StrEnum):
    NOT_SENT = "not_sent"  # never reached the gateway: nothing can have been charged
    SERVER_ERROR = "server_error"  # the gateway answered 5xx: it did not charge
    AMBIGUOUS = "ambiguous"  # may have reached the gateway: it may have charged


class TransientFailure(Exception):
    """An attempt failed in a way worth retrying (timeout, connection error, 5xx).

    The only exception stamina retries on; declines and 4xx never become one.
    """

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(f"{failure.value}: {detail}")
        self.failure = failure
        self.detail = detail


# Raised before a byte of the request left this process.
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


def from_transport_error(exc: httpx.TransportError) -> TransientFailure:
    """Connection never made → NOT_SENT; anything later (read/write timeout, cut) → AMBIGUOUS."""
    failure = Failure.NOT_SENT if isinstance(exc, _NOT_SENT) else Failure.AMBIGUOUS
    return TransientFailure(failure, type(exc).__name__)


def from_server_error(status_code: int) -> TransientFailure:
    """5xx is a definite failure, except 504: a timeout behind the gateway may have charged."""
    failure = Failure.AMBIGUOUS if status_code == 504 else Failure.SERVER_ERROR
    return TransientFailure(failure, f"http_{status_code}")


def from_hard_timeout() -> TransientFailure:
    """Our own cap on the attempt fired: the request may already have been sent."""
    return TransientFailure(Failure.AMBIGUOUS, "attempt_deadline")
