"""Gateway behaviours and the per-request override that selects one deterministically."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Mode(StrEnum):
    HAPPY = "happy"
    DECLINED = "declined"
    ERROR = "error"  # 500, records nothing
    TIMEOUT = "timeout"  # hangs, charges nothing
    CHARGED_TIMEOUT = "charged_timeout"  # charges, then hangs: the ambiguous case
    LATENCY = "latency"  # slow but happy
    RANDOM = "random"  # weighted, seeded mix of RANDOM_CHOICES
    UNKNOWN = "unknown"  # charges but holds the outcome: lookups answer 503 until released
    # hangs, charging nothing yet; the charge lands a hang after the 504, whatever became
    # of the request (the race of a charge attempt the caller cut by its deadline)
    LATE_CHARGE = "late_charge"


RANDOM_CHOICES: Final = (
    Mode.HAPPY,
    Mode.DECLINED,
    Mode.ERROR,
    Mode.TIMEOUT,
    Mode.CHARGED_TIMEOUT,
)

OVERRIDE_PREFIX: Final = "mock:"


def parse_mode(name: str) -> Mode | None:
    """The mode called `name`, or None if there is none (callers decide how to refuse)."""
    try:
        return Mode(name)
    except ValueError:
        return None


def override_from_reference(external_reference: str) -> Mode | None:
    """`mock:<mode>:rest` forces <mode> for one request, so tests need no global switch.

    A prefix naming no known mode is treated as an ordinary reference.
    """
    if not external_reference.startswith(OVERRIDE_PREFIX):
        return None
    name, sep, _ = external_reference[len(OVERRIDE_PREFIX) :].partition(":")
    return parse_mode(name) if sep else None
