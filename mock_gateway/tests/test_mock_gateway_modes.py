"""Each mode behaves as the wallet's gateway client expects."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from mock_gateway.modes import Mode
from wallet_testkit.polling import eventually

from .conftest import Charge, MakeClient


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/admin/stats")
    return dict(response.json())


async def test_happy_approves_and_records_one_charge(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    response = await charge(client, "p1")

    assert response.status_code == 200
    reply = response.json()
    assert reply["payment_id"] == "p1"
    assert reply["status"] == "approved"
    assert reply["charge_id"]
    assert (await client.get("/payments/p1")).json() == {"payment_id": "p1", "status": "approved"}
    assert await stats(client) == {"attempts": {"p1": 1}, "charges": {"p1": 1}}


async def test_declined_is_recorded_without_a_charge(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(mode="declined") as client:
        response = await charge(client, "p1")

        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        assert response.json()["reason"]
        assert (await client.get("/payments/p1")).json()["status"] == "declined"
        assert (await stats(client))["charges"] == {}


async def test_error_records_nothing_so_a_retry_errors_again(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(mode="error") as client:
        first = await charge(client, "p1")
        second = await charge(client, "p1")

        assert first.status_code == second.status_code == 500
        assert "error" in first.json()
        assert (await client.get("/payments/p1")).status_code == 404
        assert await stats(client) == {"attempts": {"p1": 2}, "charges": {}}


async def test_timeout_hangs_then_504_and_charges_nothing(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(mode="timeout", hang_s=0.1) as client:
        started = time.monotonic()
        response = await charge(client, "p1")

        assert time.monotonic() - started >= 0.1
        assert response.status_code == 504
        lookup = await client.get("/payments/p1")
        assert lookup.status_code == 404
        assert lookup.json() == {"status": "not_found"}
        assert (await stats(client))["charges"] == {}


async def test_charged_timeout_charges_then_hangs(make_client: MakeClient, charge: Charge) -> None:
    async with make_client(mode="charged_timeout") as client:
        response = await charge(client, "p1")

        assert response.status_code == 504
        assert (await client.get("/payments/p1")).json()["status"] == "approved"
        retry = await charge(client, "p1")  # the client's retry learns the charge
        assert retry.status_code == 200
        assert retry.json()["status"] == "approved"
        assert await stats(client) == {"attempts": {"p1": 2}, "charges": {"p1": 1}}


async def test_latency_delays_then_approves(make_client: MakeClient, charge: Charge) -> None:
    async with make_client(mode="latency", latency_ms=80) as client:
        started = time.monotonic()
        response = await charge(client, "p1")

        assert time.monotonic() - started >= 0.08
        assert response.json()["status"] == "approved"


async def test_hanging_does_not_block_other_requests(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(mode="timeout", hang_s=1.0) as client:
        hanging = asyncio.create_task(charge(client, "p1"))

        async def hanging_arrived() -> bool:
            return (await stats(client))["attempts"] == {"p1": 1}

        await eventually(hanging_arrived, timeout_s=5.0, interval_s=0.01)
        health = await client.get("/healthz")

        assert health.json() == {"status": "ok"}
        assert not hanging.done()
        assert (await hanging).status_code == 504


async def _random_statuses(make_client: MakeClient, charge: Charge, seed: int) -> list[int]:
    async with make_client(mode="random", seed=seed, hang_s=0.001) as client:
        codes = []
        for n in range(30):
            response = await charge(client, f"p{n}")
            codes.append(response.status_code * 10 + (response.json().get("status") == "approved"))
        return codes


async def test_random_is_reproducible_for_a_seed(make_client: MakeClient, charge: Charge) -> None:
    first = await _random_statuses(make_client, charge, seed=7)
    again = await _random_statuses(make_client, charge, seed=7)
    other = await _random_statuses(make_client, charge, seed=8)

    assert first == again
    assert first != other
    assert len(set(first)) >= 3  # a real mix: approved, declined, errors, timeouts


async def test_random_follows_weights(make_client: MakeClient, charge: Charge) -> None:
    async with make_client(mode="random", weights="declined=1,happy=0") as client:
        for n in range(10):
            assert (await charge(client, f"p{n}")).json()["status"] == "declined"


async def test_unknown_holds_the_charge_until_released(
    make_client: MakeClient, charge: Charge
) -> None:
    async with make_client(mode=Mode.UNKNOWN) as client:
        assert (await charge(client, "p1")).status_code == 504
        assert (await client.get("/payments/p1")).status_code == 503
        assert (await charge(client, "p1")).status_code == 504  # a retry learns nothing

        released = await client.post("/admin/release")

        assert released.json() == {"released": 1}
        lookup = await client.get("/payments/p1")
        assert lookup.status_code == 200
        assert lookup.json()["status"] == "approved"
        assert (await charge(client, "p1")).json()["status"] == "approved"
        assert await stats(client) == {"attempts": {"p1": 3}, "charges": {"p1": 1}}


async def test_late_charge_charges_nothing_until_the_hang_ends_even_if_the_caller_gave_up(
    make_client: MakeClient, charge: Charge
) -> None:
    """The race of a charge attempt cut by the caller's deadline: a lookup meanwhile says
    "not charged", and the charge lands anyway once the provider is done."""
    async with make_client(hang_s=1.0) as client:
        await _race(client, charge)


async def _race(client: httpx.AsyncClient, charge: Charge) -> None:
    attempt = asyncio.create_task(charge(client, "p1", "mock:late_charge:cut"))
    await eventually(lambda: _attempted(client, "p1"), timeout_s=5)
    assert (await client.get("/payments/p1")).status_code == 404  # not charged yet
    attempt.cancel()  # the caller gives up

    async def charged() -> bool:
        return (await stats(client))["charges"] == {"p1": 1}

    await eventually(charged, timeout_s=5)
    assert (await client.get("/payments/p1")).json()["status"] == "approved"
    listed = await client.get(
        "/payments", params={"since": "2000-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
    )
    [item] = listed.json()["items"]
    assert (item["payment_id"], item["amount"], item["currency"]) == ("p1", 1250, "USD")


async def _attempted(client: httpx.AsyncClient, payment_id: str) -> bool:
    return payment_id in (await stats(client))["attempts"]
