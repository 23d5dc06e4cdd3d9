"""CPU the strict-input checks add to one payment request, in microseconds.

Compares parsing a payment body the way FastAPI does on its own (`json.loads`) with the
API's parse that refuses repeated keys (a flat body, and one with a colon in a value,
which takes the exact path), and times the other per-request steps: the Request object
the strict route builds and the failed-key throttle's lookup (empty, and holding 5,000
addresses). Run: `uv run --all-packages python bench/strict_input_cost.py`.
"""

from __future__ import annotations

import functools
import json
import timeit
from collections.abc import Callable
from typing import Any, Final

from starlette.types import Message
from wallet_api.http.failure_throttle import AuthFailureThrottle
from wallet_api.http.strict_json import loads_unique_keys
from wallet_api.routes.strict_route import UniqueKeysRequest

PROVIDER_ID: Final = "01890a5d-ac96-774b-bcce-b302099a8057"
CALLS: Final = 200_000
SCOPE: Final[dict[str, Any]] = {
    "type": "http",
    "method": "POST",
    "path": "/wallets/u/payments",
    "headers": [],
    "client": ("10.1.2.3", 5000),
}


def _payment(reference: str) -> bytes:
    fields = {"provider_id": PROVIDER_ID, "external_reference": reference}
    return json.dumps({**fields, "amount": 100, "currency": "USD"}).encode()


def _us(call: Callable[[], object]) -> float:
    return min(timeit.repeat(call, number=CALLS, repeat=5)) / CALLS * 1e6


async def _receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def main() -> None:
    for name, body in (("flat", _payment("bill-42")), ("colon", _payment("mock:ok:42"))):
        before = _us(functools.partial(json.loads, body))
        after = _us(functools.partial(loads_unique_keys, body))
        print(f"parse {name:5s} body: json.loads {before:.2f} us, unique keys {after:.2f} us")
    print(
        f"strict route's Request object: {_us(lambda: UniqueKeysRequest(SCOPE, _receive)):.2f} us"
    )
    throttle = AuthFailureThrottle(rate_per_s=0.1, burst=20, max_clients=10_000)
    print(f"throttle lookup, nothing recorded: {_us(lambda: throttle.wait_s('10.1.2.3')):.2f} us")
    for n in range(5_000):
        throttle.record_failure(f"10.9.{n // 256}.{n % 256}")
    print(f"throttle lookup, 5,000 recorded: {_us(lambda: throttle.wait_s('10.1.2.3')):.2f} us")


if __name__ == "__main__":
    main()
