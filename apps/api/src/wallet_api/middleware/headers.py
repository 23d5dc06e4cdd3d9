"""Reading request headers straight from the ASGI scope."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower-case bytes), latin-1 decoded."""
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def content_length(scope: Scope) -> int | None:
    raw = header(scope, b"content-length")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw)
