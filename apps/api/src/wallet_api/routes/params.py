"""Parameters shared by several routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

# Optional at the HTTP layer on purpose: the domain reports a missing key as
# VALIDATION_ERROR (§5) with the same message as a malformed one.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="1-255 printable ASCII characters; same key + same body replays the "
        "first reply byte for byte (with `Idempotent-Replayed: true`).",
    ),
]
