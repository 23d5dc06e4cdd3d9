"""How one charge attempt plays out in each mode."""

from __future__ import annotations

import asyncio
from typing import Any

from mock_gateway.bodies import ChargeIn
from mock_gateway.modes import Mode, override_from_reference
from mock_gateway.provider_events import send_late_settlement
from mock_gateway.state import GatewayState, Outcome

Reply = tuple[int, dict[str, Any]]

GATEWAY_TIMEOUT: Reply = (504, {"error": "gateway timed out"})


async def attempt(state: GatewayState, idempotency_key: str | None, body: ChargeIn) -> Reply:
    """One `POST /payments`: check the key, then replay a recorded outcome or play the mode."""
    if not idempotency_key:
        return 400, {"error": "Idempotency-Key header is required"}
    if idempotency_key != body.payment_id:
        return 400, {"error": "Idempotency-Key must equal payment_id"}
    payment_id = body.payment_id
    state.count_attempt(payment_id)
    recorded = state.lookup(payment_id)
    if recorded is not None:
        return await replay(state, payment_id, recorded)
    mode = override_from_reference(body.external_reference) or state.mode
    return await charge(state, body, mode)


async def hang(state: GatewayState) -> Reply:
    """Stall like a stuck provider. Async, so every other request keeps being served."""
    await asyncio.sleep(state.hang_s)
    return GATEWAY_TIMEOUT


async def replay(state: GatewayState, payment_id: str, outcome: Outcome) -> Reply:
    """A repeat of a recorded payment: the first outcome again, never a second charge."""
    if outcome.held:
        return await hang(state)  # still unknown: a retry learns no more than a lookup
    return 200, outcome.charge_body(payment_id)


async def charge(state: GatewayState, body: ChargeIn, mode: Mode) -> Reply:
    """Play `mode` for a payment with no recorded outcome."""
    payment_id = body.payment_id
    amount, currency = body.amount, body.currency
    if mode is Mode.RANDOM:
        mode = state.pick_random()
    if mode is Mode.LATENCY:
        await asyncio.sleep(state.latency_ms / 1000)
        mode = Mode.HAPPY

    if mode is Mode.HAPPY:
        return 200, state.record(
            payment_id, Outcome.approved(amount=amount, currency=currency)
        ).charge_body(payment_id)
    if mode is Mode.DECLINED:
        return 200, state.record(payment_id, Outcome.declined()).charge_body(payment_id)
    if mode is Mode.ERROR:
        return 500, {"error": "internal gateway error"}
    if mode is Mode.CHARGED_TIMEOUT:
        state.record(payment_id, Outcome.approved(amount=amount, currency=currency))
    elif mode is Mode.UNKNOWN:
        held = Outcome.approved(held=True, amount=amount, currency=currency)
        if state.record(payment_id, held) is held:
            send_late_settlement(state, payment_id, held)
    # TIMEOUT, CHARGED_TIMEOUT and UNKNOWN all leave the caller hanging.
    return await hang(state)
