"""The HTTP surface: payments for the wallet's gateway client, admin for tests and ops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Final, cast

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from mock_gateway import charging, disputes, hot_path
from mock_gateway.bodies import (
    ChargeIn,
    ChargeRecord,
    DisputeIn,
    DisputeMove,
    EvidenceIn,
    ModeChange,
    RefundIn,
    WebhookEmit,
)
from mock_gateway.modes import Mode, parse_mode
from mock_gateway.provider_events import RefundRefused, refund
from mock_gateway.settings import Settings
from mock_gateway.state import GatewayState, Outcome
from mock_gateway.webhook_sender import WebhookBacklogFull

MAX_PAGE: Final = 1000


async def _state(request: Request) -> GatewayState:
    # async: FastAPI would run a plain `def` dependency in a worker thread, per request.
    return cast(GatewayState, request.app.state.gateway)


StateDep = Annotated[GatewayState, Depends(_state)]


def _mode_view(state: GatewayState) -> dict[str, Any]:
    return {"mode": state.mode.value, "latency_ms": state.latency_ms, "seed": state.seed}


class GatewayApp(FastAPI):
    """The mock's FastAPI app, but `POST /payments` goes through `hot_path` first."""

    def __init__(self, state: GatewayState) -> None:
        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            yield
            await state.webhooks.close()

        super().__init__(title="mock payment gateway", lifespan=lifespan)
        self.state.gateway = self.gateway = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if hot_path.is_charge(scope):
            await hot_path.serve_charge(self.gateway, scope, receive, send, super().__call__)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build an app with its own state, so tests run isolated instances in-process."""
    app = GatewayApp(GatewayState(settings or Settings()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/payments")  # the reference for `hot_path`, and its fallback
    async def create_payment(
        body: ChargeIn,
        state: StateDep,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        status, reply = await charging.attempt(state, idempotency_key, body)
        return JSONResponse(reply, status)

    @app.get("/payments")
    async def list_charges(
        state: StateDep,
        since: datetime,
        until: datetime,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 500,
    ) -> dict[str, Any]:
        """The charges made in [since, until), by payment id: what reconciliation compares
        the ledger with. Pass `next_cursor` back as `cursor` until it is null."""
        # A time without an offset is UTC (the charges' times are aware).
        since, until = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (since, until))
        page = state.charges_between(since, until, after=cursor, limit=limit)
        next_cursor = page[-1][0] if len(page) == limit else None
        return {
            "items": [outcome.record_view(payment_id) for payment_id, outcome in page],
            "next_cursor": next_cursor,
        }

    @app.get("/payments/{payment_id}")
    async def get_payment(payment_id: str, state: StateDep) -> JSONResponse:
        outcome = state.lookup(payment_id)
        if outcome is None:
            return JSONResponse({"status": "not_found"}, 404)
        if outcome.held:
            return JSONResponse({"payment_id": payment_id, "status": "unknown"}, 503)
        return JSONResponse({"payment_id": payment_id, "status": outcome.status}, 200)

    @app.post("/disputes")
    async def file_dispute(
        body: DisputeIn,
        state: StateDep,
        idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        status, reply = await disputes.file(state, idempotency_key, body)
        return JSONResponse(reply, status)

    @app.get("/disputes/{dispute_id}")
    async def get_dispute(dispute_id: str, state: StateDep) -> JSONResponse:
        record = state.disputes.get(dispute_id)
        if record is None:
            return JSONResponse({"status": "not_found"}, 404)
        return JSONResponse(record.view(), 200)

    @app.post("/disputes/{dispute_id}/cancel")
    async def withdraw_dispute(dispute_id: str, state: StateDep) -> JSONResponse:
        """The wallet withdraws a dispute its client canceled."""
        status, reply = disputes.withdraw(state, dispute_id)
        return JSONResponse(reply, status)

    @app.post("/disputes/{dispute_id}/evidence")
    async def take_dispute_evidence(
        dispute_id: str, body: EvidenceIn, state: StateDep
    ) -> JSONResponse:
        """The wallet sends the evidence its client gave (all of it; this adds what it lacks)."""
        status, reply = disputes.take_evidence(state, dispute_id, body)
        return JSONResponse(reply, status)

    @app.post("/admin/disputes/{dispute_id}/status", status_code=202)
    async def move_dispute(dispute_id: str, change: DisputeMove, state: StateDep) -> JSONResponse:
        """The provider decides: set the status and send the signed `dispute.updated`."""
        if dispute_id not in state.disputes:
            return JSONResponse({"status": "not_found"}, 404)
        try:
            record, delivery = disputes.move(state, dispute_id, change.status)
        except WebhookBacklogFull as full:
            return JSONResponse({"error": str(full)}, 503)
        return JSONResponse({"dispute": record.view(), "webhook": delivery.view()}, 202)

    @app.get("/admin/mode")
    async def get_mode(state: StateDep) -> dict[str, Any]:
        return _mode_view(state)

    @app.put("/admin/mode")
    async def put_mode(change: ModeChange, state: StateDep) -> JSONResponse:
        mode = parse_mode(change.mode)
        if mode is None:
            known = [m.value for m in Mode]
            return JSONResponse({"error": f"unknown mode {change.mode!r}", "modes": known}, 400)
        state.set_mode(mode, latency_ms=change.latency_ms, seed=change.seed)
        return JSONResponse(_mode_view(state), 200)

    @app.post("/admin/release")
    async def release(state: StateDep) -> dict[str, int]:
        return {"released": state.release_all()}

    @app.get("/admin/stats")
    async def stats(state: StateDep) -> dict[str, dict[str, int]]:
        return {"attempts": dict(state.attempts), "charges": dict(state.charges)}

    @app.put("/admin/charges/{payment_id}")
    async def put_charge(payment_id: str, record: ChargeRecord, state: StateDep) -> dict[str, Any]:
        """Record (or overwrite) a charge: a late charge, another amount, a refund."""
        outcome = Outcome.approved(amount=record.amount, currency=record.currency.upper())
        outcome.refunded_amount = record.refunded_amount
        state.put_charge(payment_id, outcome)
        return outcome.record_view(payment_id)

    @app.delete("/admin/charges/{payment_id}")
    async def delete_charge(payment_id: str, state: StateDep) -> JSONResponse:
        """Forget a payment, as if the provider never saw it."""
        if not state.forget(payment_id):
            return JSONResponse({"status": "not_found"}, 404)
        return JSONResponse({"status": "forgotten"}, 200)

    @app.post("/admin/charges/{payment_id}/refunds", status_code=202)
    async def refund_charge(payment_id: str, body: RefundIn, state: StateDep) -> JSONResponse:
        """Refund (part of) an approved charge, as the provider's support desk would, and
        tell the wallet with a `payment.refunded` webhook."""
        try:
            delivery = refund(state, payment_id, body.amount)
        except KeyError:
            return JSONResponse({"status": "not_found"}, 404)
        except RefundRefused as refused:
            return JSONResponse({"error": str(refused)}, 409)
        except WebhookBacklogFull as full:
            return JSONResponse({"error": str(full)}, 503)
        outcome = state.outcomes[payment_id]
        return JSONResponse({**outcome.record_view(payment_id), "webhook": delivery.view()}, 202)

    @app.post("/admin/webhooks", status_code=202)
    async def emit_webhook(emit: WebhookEmit, state: StateDep) -> JSONResponse:
        """Send any provider event to `MOCK_WEBHOOK_URL`, signed, retried until a 2xx."""
        try:
            delivery = state.webhooks.emit(
                emit.type, emit.data, provider_event_id=emit.provider_event_id, delay_s=emit.delay_s
            )
        except WebhookBacklogFull as full:
            return JSONResponse({"error": str(full)}, 503)
        return JSONResponse(delivery.view(), 202)

    @app.get("/admin/webhooks")
    async def webhook_stats(state: StateDep) -> dict[str, Any]:
        return state.webhooks.stats()

    @app.get("/admin/webhooks/{provider_event_id}")
    async def webhook_delivery(provider_event_id: str, state: StateDep) -> JSONResponse:
        delivery = state.webhooks.deliveries.get(provider_event_id)
        if delivery is None:
            return JSONResponse({"status": "not_found"}, 404)
        return JSONResponse(delivery.view(), 200)

    @app.post("/admin/reset")
    async def reset(state: StateDep) -> dict[str, str]:
        state.reset()
        return {"status": "reset"}

    return app
