"""Durations on the command line: `90s`, `15m`, `2h`, `7d` (a bare number is seconds)."""

from __future__ import annotations

import argparse
import re
from typing import Final

_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")


def seconds(text: str) -> float:
    """An argparse `type=`: the duration in seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 15m, 2h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]
