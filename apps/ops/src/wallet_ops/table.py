"""A plain-text table for terminal output (no colours, no wrapping)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def render_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """Columns padded to their widest cell; an empty `rows` gives the header alone."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = [columns, *cells]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
