"""The thinnest payment route the decided stack allows: the floor under `make bench`.

A raw ASGI app on uvicorn (uvloop + httptools), asyncpg's own pool, and one
`aiohttp.ClientSession.post` (the cheapest HTTP call of the stack: the API's httpx client
does its I/O through aiohttp), running the API's own two statements (`payment_book.OPEN`,
then `SETTLE_APPROVED`) around one gateway charge. Nothing else: no framework, validation,
authentication, middleware, retries, breaker, metrics, tracing or logging, and it trusts
its input. Not a server to run: `bench/stack_floor.py` measures it, so the API's figure can
be read against what these libraries cost on the same machine with no product around them.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import uuid
from typing import Any

import aiohttp
import asyncpg
import orjson
from sqlalchemy.engine import make_url
from wallet_infra.persistence.engine import ssl_mode
from wallet_infra.persistence.statements.payment_book import OPEN, SETTLE_APPROVED

_UTC = datetime.UTC
_state: dict[str, Any] = {}


async def _jsonb_as_text(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", encoder=lambda v: v, decoder=lambda v: v, schema="pg_catalog"
    )


def pool_options(dsn: str) -> dict[str, Any]:
    """What the API's engine sets on its connections that changes their cost: its TLS
    mode (none on a loopback connection, where asyncpg would otherwise prefer TLS and pay
    for it on every statement) and `jit=off`."""
    return {"ssl": ssl_mode(make_url(dsn)), "server_settings": {"jit": "off"}}


async def _start() -> None:
    size = int(os.environ.get("FLOOR_POOL_SIZE", "8"))
    dsn = os.environ["WALLET_DATABASE_URL"]
    _state["pool"] = await asyncpg.create_pool(
        dsn, min_size=size, max_size=size, init=_jsonb_as_text, **pool_options(dsn)
    )
    _state["gateway"] = aiohttp.ClientSession(
        base_url=os.environ["FLOOR_GATEWAY_URL"],
        timeout=aiohttp.ClientTimeout(total=5.0),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _stop() -> None:
    await _state["pool"].close()
    await _state["gateway"].close()


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _event(kind: str, status: str, payment_id: uuid.UUID, user: str, amount: int) -> dict[str, Any]:
    payload = {"transaction_id": str(payment_id), "type": "PAYMENT", "status": status}
    return {
        "e0_event_id": uuid.uuid4(),
        "e0_event_type": kind,
        "e0_aggregate_id": payment_id,
        "e0_user_id": user,
        "e0_occurred_at": datetime.datetime.now(_UTC),
        "e0_schema_version": 1,
        "e0_payload": orjson.dumps(payload | {"amount": amount, "currency": "USD"}).decode(),
        "e0_traceparent": None,
    }


def open_params(
    user: str, key: str, body: bytes, payment_id: uuid.UUID, now: datetime.datetime
) -> dict[str, Any]:
    """`OPEN`'s parameters for the payment `body` asks for (a test checks they are all
    there: a statement that gains one must not leave the floor answering 500s)."""
    request = orjson.loads(body)
    amount = request["amount"]
    return {
        "user_id": user,
        "key": key,
        "fingerprint": hashlib.sha256(body).hexdigest(),
        "payment_id": payment_id,
        "created_at": now,
        "currency": request["currency"],
        "amount": amount,
        "refusal_status": 409,
        "refusal_body": b"{}",
        "p_id": payment_id,
        "p_user_id": user,
        "p_type": "PAYMENT",
        "p_status": "PENDING",
        "p_amount": -amount,
        "p_currency": request["currency"],
        "p_provider_id": uuid.UUID(request["provider_id"]),
        "p_external_reference": request["external_reference"],
        "p_reference": None,
        "p_refund_of": None,
        "p_hold_id": None,
        "p_transfer_id": None,
        "p_refunded_amount": 0,
        "p_provider_refund_of": None,
        "p_dispute_id": None,
        "p_created_at": now,
        "p_updated_at": now,
        **_event("payment.created", "PENDING", payment_id, user, amount),
    }


def settle_params(payment_id: uuid.UUID, user: str, amount: int, reply: bytes) -> dict[str, Any]:
    """`SETTLE_APPROVED`'s parameters (checked like `open_params`)."""
    return {
        "payment_id": payment_id,
        "status": "APPROVED",
        "at": datetime.datetime.now(_UTC),
        "reply_status": 201,
        "reply_body": reply,
        **_event("payment.completed", "APPROVED", payment_id, user, amount),
    }


async def _pay(user: str, key: str, body: bytes) -> tuple[int, bytes]:
    payment_id = uuid.uuid4()
    opened = open_params(user, key, body, payment_id, datetime.datetime.now(_UTC))
    async with _state["pool"].acquire() as conn:
        row = await conn.fetchrow(OPEN.sql, *OPEN.args(opened))
    if not row["debited"]:
        return 409, b"{}"
    request = orjson.loads(body)
    charge = {**request, "payment_id": str(payment_id), "user_id": user}
    async with _state["gateway"].post(
        "/payments",
        data=orjson.dumps(charge),
        headers={"Idempotency-Key": str(payment_id), "Content-Type": "application/json"},
    ) as answer:
        answer.raise_for_status()
        if orjson.loads(await answer.read())["status"] != "approved":
            return 502, b"{}"
    amount = request["amount"]
    reply = orjson.dumps(
        {"id": str(payment_id), "user_id": user, "status": "APPROVED", "amount": amount}
    )
    settled = settle_params(payment_id, user, amount, reply)
    async with _state["pool"].acquire() as conn:
        await conn.fetchrow(SETTLE_APPROVED.sql, *SETTLE_APPROVED.args(settled))
    return 201, reply


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _start()
                await send({"type": "lifespan.startup.complete"})
            else:
                await _stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["path"] == "/healthz":
        await _respond(send, 200, b'{"status":"ok"}')
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    key = dict(scope["headers"]).get(b"idempotency-key", b"").decode()
    # /wallets/{user_id}/payments
    await _respond(send, *await _pay(scope["path"].split("/")[2], key, body))
