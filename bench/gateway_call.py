"""A gateway call's CPU against aiohttp's bare call: `python bench/gateway_call.py`.

The issue behind the fast payment path asked for it: httpx stays the client at the port, so
measure what our adapter (`HttpxPaymentGateway.charge`, with its admission: breaker and
bulkhead, deadline, first attempt, metrics; httpx's request and response; the
`SafeAiohttpTransport`) costs on top of the `aiohttp` call it makes. Both charge the nginx
stub (`stub_gateway.py`) with the same JSON body and headers, from `--callers` concurrent
callers on one event loop (uvloop), the two variants alternating round by round; a figure
is this process's CPU (`time.process_time`) per call, the stub's not included.

To judge a change to the adapter, run it under each checkout's virtualenv in turn
(`<checkout>/.venv/bin/python bench/gateway_call.py`): it only uses the adapter's public
constructor and `charge`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

import aiohttp
import orjson
import uvloop
from procs import HOST, wait_healthy
from stub_gateway import stub_gateway

VARIANTS: Final = ("aiohttp", "gateway")
_WARM_UP: Final = 30

Call = Callable[[], Awaitable[None]]


async def cpu_us_per_call(call: Call, calls: int, callers: int) -> float:
    """This process's CPU per call, `calls` calls made by `callers` concurrent callers."""
    share, extra = divmod(calls, callers)

    async def caller(n: int) -> None:
        for _ in range(n):
            await call()

    started = time.process_time()
    await asyncio.gather(*(caller(share + (i < extra)) for i in range(callers)))
    return (time.process_time() - started) * 1e6 / calls


def charge_body(payment_id: str) -> bytes:
    """The body the adapter sends for a charge (`_charge_once`)."""
    return orjson.dumps(
        {
            "payment_id": payment_id,
            "user_id": "bench-user",
            "amount": 1250,
            "currency": "USD",
            "provider_id": payment_id,
            "external_reference": "bench",
        }
    )


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from wallet_domain.deadline import Deadline
    from wallet_domain.money import Money
    from wallet_domain.ports.payment_gateway import ChargeRequest
    from wallet_infra.gateway import (
        GatewaySettings,
        HttpxPaymentGateway,
        make_gateway_http_client,
    )
    from wallet_infra.logging_setup import configure_logging

    configure_logging(log_format="json", log_level="info")  # as the API serves
    await wait_healthy(args.stub_port)
    url = f"http://{HOST}:{args.stub_port}"
    settings = GatewaySettings(url=url)
    client = make_gateway_http_client(settings)
    gateway = HttpxPaymentGateway(client=client, settings=settings)
    session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    # A few payment ids, reused: generating one is not what is measured.
    ids = [uuid.uuid4() for _ in range(64)]
    turn = iter(range(1 << 62))

    async def bare() -> None:
        payment_id = str(ids[next(turn) % len(ids)])
        headers = {
            "Accept": "application/json",
            "Idempotency-Key": payment_id,
            "Content-Type": "application/json",
        }
        body = charge_body(payment_id)
        async with session.post(f"{url}/payments", data=body, headers=headers) as answer:
            await answer.read()

    async def charge() -> None:
        payment_id = ids[next(turn) % len(ids)]
        request = ChargeRequest(
            payment_id=payment_id,
            user_id="bench-user",
            money=Money(1250, "USD"),
            provider_id=payment_id,
            external_reference="bench",
        )
        async with gateway.admission():
            await gateway.charge(request, Deadline.after(5.0))

    calls: dict[str, Call] = {"aiohttp": bare, "gateway": charge}
    results: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    try:
        for variant in VARIANTS:
            await cpu_us_per_call(calls[variant], _WARM_UP * args.callers, args.callers)
        for round_ in range(args.rounds):
            for variant in VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]:
                us = await cpu_us_per_call(calls[variant], args.calls, args.callers)
                results[variant].append(us)
    finally:
        await session.close()
        await client.aclose()
    return results


def summary(results: dict[str, list[float]]) -> str:
    """Per variant: the median and the best round, CPU µs per call; then the adapter's
    cost on top of the bare call."""
    lines = [f"{'variant':10s} {'median us':>10s} {'best us':>10s}  rounds"]
    for variant, values in results.items():
        lines.append(
            f"{variant:10s} {statistics.median(values):10.1f} {min(values):10.1f}  {len(values)}"
        )
    bare, ours = results["aiohttp"], results["gateway"]
    on_top = statistics.median(ours) - statistics.median(bare)
    lines.append(
        f"the adapter on top of the bare call: {on_top:.1f} us (medians),"
        f" {min(ours) - min(bare):.1f} us (best rounds)"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3200, help="per variant and round")
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stub-port", type=int, default=18200)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    with stub_gateway(HOST, args.stub_port):
        results = uvloop.run(measure(args))
    print(summary(results))


if __name__ == "__main__":
    main()
