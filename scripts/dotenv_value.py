"""Print the value `.env` gives NAME, read exactly as honcho reads it; nothing if unset.

    uv run python scripts/dotenv_value.py WALLET_DATABASE_URL [FILE]

The Makefile's migrate targets and `make reset-local` act on the database `make run`'s
processes use, and those get it from honcho's parse of `.env` (shell-like: quotes removed,
`# comments` dropped, `$` kept as is). Parsing `.env` as make syntax would give another value.
"""

from __future__ import annotations

import sys
from pathlib import Path

from honcho.environ import parse  # type: ignore[import-untyped]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: dotenv_value.py NAME [FILE]", file=sys.stderr)
        return 2
    name = argv[1]
    path = Path(argv[2] if len(argv) == 3 else ".env")
    try:
        # As honcho.command._read_env: the default encoding, and a file it cannot open is none.
        content = path.read_text()
    except OSError:
        return 0
    value = parse(content).get(name)
    if value:
        print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
