"""Placeholder entry point: this process is built by the event-pipeline issue."""

import sys


def main() -> None:
    sys.stderr.write("not implemented yet: see the event-pipeline issue\n")
    raise SystemExit(2)


if __name__ == "__main__":
    main()
