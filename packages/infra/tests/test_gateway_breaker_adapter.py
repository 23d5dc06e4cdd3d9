"""The breaker inside HttpxPaymentGateway, against the real mock gateway (in-process):
what counts as a failure, that an open circuit refuses before any call, and recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import stamina
from wallet_domain.deadline import Deadline
from wallet_domain.errors import GatewayUnavailable
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_infra.gateway import BreakerState
from wallet_testkit.polling import eventually

from .gateway_kit import MockClients, MockGateway, charge_request, fast_settings

DEADLINE_S = 5.0
THRESHOLD = 3


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    with stamina.set_testing(True, attempts=1000, cap=True):
        yield


class Gateway(MockGateway):
    """The mock gateway and its adapter, paying as the Pay use case does."""

    async def pay(self, reference: str = "bill") -> ChargeStatus:
        """A payment as the Pay use case makes it: admission, charge, lookup if unknown."""
        request = charge_request(reference)
        async with self.adapter.admission():
            status = await self.adapter.charge(request, Deadline.after(DEADLINE_S))
            if status is ChargeStatus.UNKNOWN:
                await self.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
        return status

    async def attempts(self) -> int:
        return sum((await self.stats())["attempts"].values())


@pytest.fixture
async def make_gateway() -> AsyncIterator[Callable[..., Gateway]]:
    clients = MockClients()

    def make(**gateway: Any) -> Gateway:
        settings = fast_settings(max_attempts=2, breaker_failure_threshold=THRESHOLD, **gateway)
        return Gateway(clients.open(hang_s=0.5), settings)

    yield make
    await clients.aclose()


async def until_half_open(gw: Gateway) -> None:
    """Until the recovery period is over: the breaker lets one probe through."""

    async def half_open() -> bool:
        return gw.adapter.breaker_state is BreakerState.HALF_OPEN

    await eventually(half_open, timeout_s=10, interval_s=0.02)


@pytest.mark.parametrize(
    ("reference", "status"),
    [("mock:error:b", ChargeStatus.FAILED), ("mock:timeout:b", ChargeStatus.UNKNOWN)],
)
async def test_failed_and_unknown_charges_open_it_and_then_nothing_is_called(
    make_gateway: Callable[..., Gateway], reference: str, status: ChargeStatus
) -> None:
    gw = make_gateway()
    for _ in range(THRESHOLD):
        assert await gw.pay(reference) is status
    assert gw.adapter.breaker_state is BreakerState.OPEN
    attempts = await gw.attempts()

    with pytest.raises(GatewayUnavailable) as refused:
        await gw.pay("bill-ok")

    assert refused.value.retry_after_s >= 1
    assert refused.value.details == {"reason": "circuit_open"}
    assert await gw.attempts() == attempts, "an open circuit calls nothing"
    assert gw.adapter.bulkhead_in_use == 0


async def test_declines_never_count(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    for _ in range(THRESHOLD * 3):
        assert await gw.pay("mock:declined:b") is ChargeStatus.DECLINED
    assert gw.adapter.breaker_state is BreakerState.CLOSED


async def test_a_success_resets_the_count(make_gateway: Callable[..., Gateway]) -> None:
    gw = make_gateway()
    for _ in range(3):
        for _ in range(THRESHOLD - 1):
            await gw.pay("mock:error:b")
        assert await gw.pay("happy") is ChargeStatus.APPROVED
    assert gw.adapter.breaker_state is BreakerState.CLOSED


async def test_an_answered_lookup_does_not_hide_hanging_charges(
    make_gateway: Callable[..., Gateway],
) -> None:
    """In `timeout` mode lookups answer (no charge) while charges hang: still unhealthy."""
    gw = make_gateway()
    request = charge_request("mock:timeout:b")
    for _ in range(THRESHOLD):
        async with gw.adapter.admission():
            await gw.adapter.charge(request, Deadline.after(DEADLINE_S))
            lookup = await gw.adapter.lookup(request.payment_id, Deadline.after(DEADLINE_S))
            assert lookup is LookupStatus.NOT_CHARGED
    assert gw.adapter.breaker_state is BreakerState.OPEN


async def test_lookups_of_held_charges_do_not_open_it(
    make_gateway: Callable[..., Gateway],
) -> None:
    """The provider answers 503 `unknown` for a charge it holds: a working provider's
    answer, so payments keep going through however many held charges are asked about."""
    gw = make_gateway()
    held = charge_request("mock:unknown:b")
    async with gw.adapter.admission():
        assert await gw.adapter.charge(held, Deadline.after(DEADLINE_S)) is ChargeStatus.UNKNOWN
    for _ in range(THRESHOLD * 3):
        async with gw.adapter.admission():  # as the recovery worker asks
            status = await gw.adapter.lookup(held.payment_id, Deadline.after(DEADLINE_S))
            assert status is LookupStatus.PENDING
    assert gw.adapter.breaker_state is BreakerState.CLOSED
    assert await gw.pay("bill-ok") is ChargeStatus.APPROVED


async def test_half_open_probe_closes_it_after_recovery(
    make_gateway: Callable[..., Gateway],
) -> None:
    gw = make_gateway(breaker_recovery_s=0.3)
    for _ in range(THRESHOLD):
        await gw.pay("mock:error:b")
    with pytest.raises(GatewayUnavailable):
        await gw.pay()

    await until_half_open(gw)
    probe_started = asyncio.Event()
    release_probe = asyncio.Event()

    async def slow_probe() -> None:
        async with gw.adapter.admission():
            probe_started.set()
            await release_probe.wait()
            await gw.adapter.charge(charge_request("happy"), Deadline.after(DEADLINE_S))

    probe = asyncio.create_task(slow_probe())
    await probe_started.wait()
    with pytest.raises(GatewayUnavailable) as second:
        await gw.pay()  # one probe at a time
    assert second.value.details == {"reason": "circuit_half_open"}
    release_probe.set()
    await probe

    assert gw.adapter.breaker_state is BreakerState.CLOSED
    assert await gw.pay() is ChargeStatus.APPROVED


async def test_a_probe_refused_by_the_bulkhead_frees_the_probe(
    make_gateway: Callable[..., Gateway],
) -> None:
    gw = make_gateway(breaker_recovery_s=0.2, max_concurrent=1)
    for _ in range(THRESHOLD):
        await gw.pay("mock:error:b")
    await until_half_open(gw)
    async with gw.adapter.bulkhead.slot():  # someone else holds the only slot
        with pytest.raises(GatewayUnavailable) as full:
            await gw.pay()
        assert full.value.details == {"reason": "bulkhead_full"}
    assert await gw.pay() is ChargeStatus.APPROVED  # it could still probe, and closed it
    assert gw.adapter.breaker_state is BreakerState.CLOSED


async def test_a_call_with_no_time_left_says_nothing_about_the_gateway(
    make_gateway: Callable[..., Gateway],
) -> None:
    gw = make_gateway()
    spent = Deadline.after(0)
    for _ in range(THRESHOLD * 2):
        async with gw.adapter.admission():
            request = charge_request("bill")
            assert await gw.adapter.charge(request, spent) is ChargeStatus.NOT_SENT
            assert await gw.adapter.lookup(request.payment_id, spent) is LookupStatus.UNKNOWN
    assert await gw.attempts() == 0
    assert gw.adapter.breaker_state is BreakerState.CLOSED
