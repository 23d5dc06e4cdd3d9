"""List-valued settings given as comma-separated env strings or YAML lists."""

from __future__ import annotations

import re
from typing import Any, Final

_CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")


def split_list(value: Any) -> list[Any]:
    """`"a, b,,c"` as `["a", "b", "c"]`; a list or set passes through as a list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    raise ValueError("expected a comma-separated string or a list")


def parse_currencies(value: Any) -> frozenset[str]:
    """ISO-4217 codes (upper-cased); at least one."""
    codes: set[str] = set()
    for item in split_list(value):
        if not isinstance(item, str) or not _CURRENCY_RE.fullmatch(item.strip().upper()):
            raise ValueError("currencies must be ISO-4217 codes of three letters")
        codes.add(item.strip().upper())
    if not codes:
        raise ValueError("at least one currency must be configured")
    return frozenset(codes)
