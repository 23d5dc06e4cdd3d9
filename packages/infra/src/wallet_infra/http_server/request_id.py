"""The request id a response carries: the client's `X-Request-ID` when it is sane, else a
new one. Used by the edge middleware and by the HTTP server's own refusals alike."""

from __future__ import annotations

import re
from typing import Final

from wallet_infra.ids import random_hex_id

# Anything else (too long, spaces, control characters) could forge log lines: replaced.
_SANE: Final = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_for(incoming: bytes | None) -> str:
    """`incoming` (the header's raw value) if it is a sane id, else a new random one."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming.decode("ascii")
    return random_hex_id()
