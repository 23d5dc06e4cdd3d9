"""A repeat of a payment replays its first outcome and never charges twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from .conftest import Body, Charge, MakeClient


async def charges(client: httpx.AsyncClient) -> dict[str, int]:
    return dict((await client.get("/admin/stats")).json()["charges"])


async def test_repeat_returns_first_outcome_whatever_the_mode(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    first = await charge(client, "p1")
    await client.put("/admin/mode", json={"mode": "declined"})

    repeat = await charge(client, "p1")

    assert repeat.status_code == 200
    assert repeat.json() == first.json()  # same charge_id: the same charge
    assert await charges(client) == {"p1": 1}


async def test_repeat_of_a_decline_stays_declined(
    client: httpx.AsyncClient, charge: Charge
) -> None:
    first = await charge(client, "p1", "mock:declined:bill-1")

    repeat = await charge(client, "p1")

    assert repeat.json() == first.json()
    assert repeat.json()["status"] == "declined"


async def test_concurrent_duplicates_charge_once(make_client: MakeClient, charge: Charge) -> None:
    async with make_client(mode="latency", latency_ms=30) as client:
        replies = await asyncio.gather(*(charge(client, "p1") for _ in range(5)))

        assert len({r.json()["charge_id"] for r in replies}) == 1
        stats = (await client.get("/admin/stats")).json()
        assert stats == {"attempts": {"p1": 5}, "charges": {"p1": 1}}


@pytest.mark.parametrize(
    ("reference", "status_code", "status"),
    [
        ("mock:declined:bill-42", 200, "declined"),
        ("mock:error:bill-42", 500, None),
        ("mock:timeout:bill-42", 504, None),
        ("mock:happy:bill-42", 200, "approved"),
        ("mock:nonsense:bill-42", 200, "approved"),  # unknown mode: prefix ignored
        ("mock:declined", 200, "approved"),  # no second colon: not an override
        ("bill-mock:declined:", 200, "approved"),
    ],
)
async def test_external_reference_prefix_overrides_the_mode(
    client: httpx.AsyncClient,
    reference: str,
    status_code: int,
    status: str | None,
    charge: Charge,
) -> None:
    response = await charge(client, "p1", reference)

    assert response.status_code == status_code
    assert response.json().get("status") == status


async def test_override_beats_the_global_mode(make_client: MakeClient, charge: Charge) -> None:
    async with make_client(mode="error") as client:
        response = await charge(client, "p1", "mock:happy:x")

        assert response.json()["status"] == "approved"


async def test_missing_idempotency_key_is_400(client: httpx.AsyncClient, body: Body) -> None:
    response = await client.post("/payments", json=body("p1"))

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert (await client.get("/admin/stats")).json()["attempts"] == {}


async def test_key_must_be_the_payment_id(client: httpx.AsyncClient, body: Body) -> None:
    response = await client.post("/payments", json=body("p1"), headers={"Idempotency-Key": "p2"})

    assert response.status_code == 400
