"""With tracing off (no exporter: the default), a request's events still carry a W3C
traceparent: the one the client sent, else a trace of the request's own, shared by all of
its events; so every message the relay publishes has the header (docs/events.md)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_api_testkit import PROVIDER_ID, Api, fetch, new_key
from wallet_infra.telemetry import tracing_active, valid_traceparent

CLIENT_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def _traceparents(engine: AsyncEngine, user_id: str) -> list[str | None]:
    rows = await fetch(
        engine, "SELECT traceparent FROM outbox WHERE user_id = :u ORDER BY event_id", u=user_id
    )
    return [row.traceparent for row in rows]


async def _pay(api: Api, user_id: str, headers: dict[str, str]) -> None:
    paid = await api.client.post(
        f"/wallets/{user_id}/payments",
        json={
            "provider_id": PROVIDER_ID,
            "external_reference": "mock:declined:bill-1",
            "amount": 100,
            "currency": "USD",
        },
        headers={"Idempotency-Key": new_key(), **headers},
    )
    assert paid.status_code == 402, paid.text  # payment.created, .failed, refund.created


async def test_a_requests_events_share_a_trace_of_its_own(api: Api, engine: AsyncEngine) -> None:
    assert not tracing_active()
    user_id = await api.funded_wallet(1_000)
    funded = await _traceparents(engine, user_id)

    await _pay(api, user_id, {})

    written = (await _traceparents(engine, user_id))[len(funded) :]
    assert len(written) == 3
    assert len(set(written)) == 1  # one request, one trace
    [value] = set(written)
    assert value is not None
    assert valid_traceparent(value.encode()) == value
    assert value not in funded  # the deposit's request had its own


async def test_a_requests_events_continue_the_trace_its_client_sent(
    api: Api, engine: AsyncEngine
) -> None:
    user_id = await api.funded_wallet(1_000)
    funded = await _traceparents(engine, user_id)

    await _pay(api, user_id, {"traceparent": CLIENT_TRACE})

    assert (await _traceparents(engine, user_id))[len(funded) :] == [CLIENT_TRACE] * 3
