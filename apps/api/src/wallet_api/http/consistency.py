"""`X-Wallet-Consistency`: a client that must read its own writes asks for the primary.

`strong` (any case) sends the request's lag-tolerant reads to the primary; anything else,
or no header, lets a fit replica answer them. The header changes nothing on requests whose
reads always go to the primary (balances, writes).
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import Headers
from wallet_infra.read_replicas.router import ReadConsistency

CONSISTENCY_HEADER: Final = "X-Wallet-Consistency"


def read_consistency(headers: Headers) -> ReadConsistency:
    given = headers.get(CONSISTENCY_HEADER, "").strip().lower()
    return ReadConsistency.STRONG if given == ReadConsistency.STRONG else ReadConsistency.EVENTUAL
