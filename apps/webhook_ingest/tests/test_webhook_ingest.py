"""The ingest on the real broker: a signed webhook is in `webhooks.queue` (confirmed) when
the 202 leaves; every refusal publishes nothing; an unroutable, unconfirmed or
unpublishable webhook is a 503 with Retry-After, never a 202."""

from __future__ import annotations

import asyncio
import pickle
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage
from ingest_testkit import Ingest, ingest_settings, running_ingest
from wallet_infra.config.settings import DEV_WEBHOOK_SECRET
from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import ServerLimits
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol
from wallet_infra.messaging.envelope import CONTENT_TYPE
from wallet_infra.messaging.publisher import PERSISTENT
from wallet_infra.messaging.topology import WEBHOOKS_EXCHANGE, WEBHOOKS_QUEUE_NAME
from wallet_infra.problem_details import problem
from wallet_testkit.amqp import RabbitVhost, ensure_topology, private_vhost, queue_messages
from wallet_testkit.processes import free_port
from wallet_testkit.webhooks import event_body, new_event_id, signed_headers
from wallet_webhook_ingest import __main__ as entry_point

PATH: Final = "/webhooks/gateway"
PROBLEM_JSON: Final = {"Accept": "application/problem+json"}
OTHER_SECRET: Final = "whsec_" + "b3RoZXItc2VjcmV0LW9mLWFub3RoZXItcHJvdmlkZXI="


async def _queued(vhost: RabbitVhost) -> list[AbstractIncomingMessage]:
    """What sits in webhooks.queue now (taken off it)."""
    return await queue_messages(vhost.url, WEBHOOKS_QUEUE_NAME)


async def test_a_signed_webhook_is_in_the_queue_when_the_202_is_sent(
    ingest: Ingest, vhost: RabbitVhost
) -> None:
    await _queued(vhost)
    event_id = new_event_id()
    body = event_body(event_id)
    before = ingest.answered("accepted")

    reply = await ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))

    assert reply.status_code == 202, reply.text
    assert reply.json() == {"status": "accepted", "provider_event_id": event_id}
    # Confirmed before the 202, so it is there at once: no polling.
    (message,) = await _queued(vhost)
    assert message.body == body  # byte for byte what was verified
    assert message.message_id == event_id
    assert message.exchange == WEBHOOKS_EXCHANGE.name
    assert message.routing_key == "payment.settled"
    assert message.type == "payment.settled"
    assert message.content_type == CONTENT_TYPE
    assert message.delivery_mode == PERSISTENT
    assert message.timestamp is not None
    assert ingest.answered("accepted") == before + 1


async def test_webhooks_arriving_together_are_each_confirmed_into_the_queue(
    ingest: Ingest, vhost: RabbitVhost
) -> None:
    """They share writes to the broker; each 202 still stands for its own message."""
    await _queued(vhost)
    event_ids = [new_event_id() for _ in range(50)]
    bodies = {event_id: event_body(event_id) for event_id in event_ids}

    replies = await asyncio.gather(
        *(ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))
          for event_id, body in bodies.items())
    )  # fmt: skip

    assert [reply.status_code for reply in replies] == [202] * len(event_ids)
    queued = {message.message_id: message.body for message in await _queued(vhost)}
    assert queued == bodies


async def test_an_event_type_we_do_not_act_on_is_accepted_too(
    ingest: Ingest, vhost: RabbitVhost
) -> None:
    """The consumer counts it; refusing it would make the provider retry it forever."""
    await _queued(vhost)
    event_id = new_event_id()
    body = event_body(event_id, "charge.captured", anything="goes")

    reply = await ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))

    assert reply.status_code == 202, reply.text
    (message,) = await _queued(vhost)
    assert (message.message_id, message.routing_key) == (event_id, "charge.captured")


def _refused_request(case: str) -> tuple[bytes, dict[str, str]]:
    event_id = new_event_id()
    body = event_body(event_id)
    now = datetime.now(UTC)
    signed = signed_headers(body, event_id)
    if case == "tampered body":
        return body.replace(b"approved", b"declined"), signed
    if case == "wrong secret":
        return body, signed_headers(body, event_id, secret=OTHER_SECRET)
    if case == "old timestamp":
        return body, signed_headers(body, event_id, at=now - timedelta(minutes=6))
    if case == "future timestamp":
        return body, signed_headers(body, event_id, at=now + timedelta(minutes=6))
    if case == "missing signature":
        return body, {k: v for k, v in signed.items() if k != "webhook-signature"}
    if case == "not a provider event":
        malformed = b'{"provider_event_id": "' + event_id.encode() + b'", "type": 1}'
        return malformed, signed_headers(malformed, event_id)
    if case == "id differs from webhook-id":
        other = event_body(new_event_id())
        return other, signed_headers(other, event_id)
    if case == "too large":
        huge = event_body(event_id, "payment.settled", padding="x" * 20_000)
        return huge, signed_headers(huge, event_id)
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "status", "outcome"),
    [
        ("tampered body", 401, "bad_signature"),
        ("wrong secret", 401, "bad_signature"),
        ("old timestamp", 401, "bad_signature"),
        ("future timestamp", 401, "bad_signature"),
        ("missing signature", 401, "bad_signature"),
        ("not a provider event", 400, "malformed"),
        ("id differs from webhook-id", 400, "malformed"),
        ("too large", 413, "too_large"),
    ],
)
async def test_a_refused_webhook_publishes_nothing(
    ingest: Ingest, vhost: RabbitVhost, case: str, status: int, outcome: str
) -> None:
    await _queued(vhost)
    body, headers = _refused_request(case)
    before = ingest.answered(outcome)

    reply = await ingest.client.post(PATH, content=body, headers=headers)

    assert reply.status_code == status, reply.text
    expected_code = {401: "UNAUTHORIZED", 400: "VALIDATION_ERROR", 413: "PAYLOAD_TOO_LARGE"}
    assert reply.json()["error"]["code"] == expected_code[status]
    assert await _queued(vhost) == []
    assert ingest.answered(outcome) == before + 1


@pytest.mark.parametrize(
    ("case", "status"),
    [("tampered body", 401), ("not a provider event", 400), ("too large", 413)],
)
async def test_a_refusal_is_problem_details_when_the_client_asks_for_them(
    ingest: Ingest, case: str, status: int
) -> None:
    body, headers = _refused_request(case)
    envelope = (await ingest.client.post(PATH, content=body, headers=headers)).json()["error"]

    reply = await ingest.client.post(PATH, content=body, headers={**headers, **PROBLEM_JSON})

    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    code, message, details = envelope["code"], envelope["message"], envelope["details"]
    assert reply.json() == problem(code, message, details, status, PATH)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/path", 404, "NOT_FOUND"),
        ("GET", PATH, 405, "METHOD_NOT_ALLOWED"),
    ],
)
async def test_the_routers_refusals_are_error_envelopes_too(
    ingest: Ingest, method: str, path: str, status: int, code: str
) -> None:
    reply = await ingest.client.request(method, path)
    as_problem = await ingest.client.request(method, path, headers=PROBLEM_JSON)

    assert reply.status_code == status
    assert reply.json()["error"]["code"] == code
    assert reply.json()["error"]["details"] == {}
    assert as_problem.status_code == status
    assert as_problem.headers["content-type"] == "application/problem+json"
    assert as_problem.json()["code"] == code
    if status == 405:
        assert reply.headers["allow"] == "POST"


async def _delete_the_queue(vhost: RabbitVhost) -> None:
    connection = await aio_pika.connect(vhost.url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(WEBHOOKS_QUEUE_NAME)


async def test_with_no_queue_bound_the_webhook_is_refused_not_lost(
    rabbit_control_and_url: tuple[Any, str],
) -> None:
    """`mandatory`: a message no queue takes comes back, and the provider is told to retry."""
    with private_vhost(*rabbit_control_and_url, prefix="wallet-ingest-unroutable-") as vhost:
        async with running_ingest(ingest_settings(vhost.url)) as ingest:
            await _delete_the_queue(vhost)
            event_id = new_event_id()
            body = event_body(event_id)

            reply = await ingest.client.post(
                PATH, content=body, headers=signed_headers(body, event_id)
            )

            assert reply.status_code == 503, reply.text
            assert reply.headers["retry-after"] == "5"
            assert reply.json()["error"]["details"] == {"reason": "unroutable"}
            assert ingest.answered("unroutable") == 1
            await ensure_topology(vhost.url)
            assert await _queued(vhost) == []


async def test_two_copies_of_one_unroutable_webhook_are_both_refused(
    rabbit_control_and_url: tuple[Any, str],
) -> None:
    """Two copies of one webhook (a provider retrying while its first attempt is still in
    flight) while no queue is bound: the broker returns both, so neither may be answered
    202. The confirm bookkeeping finds a returned message by `message_id`, which both
    copies share: in flight together, the first copy's ack answered 202 for a body no
    queue holds, and the provider stopped retrying."""
    with private_vhost(*rabbit_control_and_url, prefix="wallet-ingest-dup-unroutable-") as vhost:
        async with running_ingest(ingest_settings(vhost.url)) as ingest:
            await _delete_the_queue(vhost)
            event_id = new_event_id()
            body = event_body(event_id)
            headers = signed_headers(body, event_id)

            replies = await asyncio.gather(
                ingest.client.post(PATH, content=body, headers=headers),
                ingest.client.post(PATH, content=body, headers=headers),
            )

            assert sorted(r.status_code for r in replies) == [503, 503], [r.text for r in replies]
            await ensure_topology(vhost.url)
            assert await _queued(vhost) == []


async def test_a_confirm_later_than_the_deadline_is_a_503(vhost: RabbitVhost) -> None:
    settings = ingest_settings(vhost.url, webhook_ingest_confirm_timeout_s=1e-6)
    async with running_ingest(settings) as ingest:
        event_id = new_event_id()
        body = event_body(event_id)

        reply = await ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))

        assert reply.status_code == 503, reply.text
        assert reply.json()["error"]["details"] == {"reason": "timeout"}
        assert "retry-after" in reply.headers
    await _queued(vhost)  # the broker may have it after all: the retry is a duplicate


async def test_without_a_broker_webhooks_get_503_and_readyz_says_not_ready() -> None:
    nowhere = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    async with running_ingest(ingest_settings(nowhere), ready=False) as ingest:
        event_id = new_event_id()
        body = event_body(event_id)

        reply = await ingest.client.post(PATH, content=body, headers=signed_headers(body, event_id))
        headers = {**signed_headers(body, event_id), **PROBLEM_JSON}
        as_problem = await ingest.client.post(PATH, content=body, headers=headers)
        ready = await ingest.client.get("/readyz")
        alive = await ingest.client.get("/healthz")

    assert reply.status_code == 503, reply.text
    assert reply.json()["error"] == {
        "code": "BROKER_UNAVAILABLE",
        "message": "webhook not accepted: the message broker did not confirm it, retry later",
        "details": {"reason": "broker_unavailable"},
    }
    assert reply.headers["retry-after"] == "5"
    assert (as_problem.status_code, as_problem.headers["retry-after"]) == (503, "5")
    assert as_problem.headers["content-type"] == "application/problem+json"
    assert as_problem.json()["code"] == "BROKER_UNAVAILABLE"
    assert ingest.answered("broker_unavailable") == 2
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "not_ready",
        "checks": {"broker": "disconnected", "topology": "pending"},
    }
    assert alive.status_code == 200


def test_the_mock_gateways_development_secret_verifies_by_default() -> None:
    assert ingest_settings("amqp://unused/").webhook_secrets == (DEV_WEBHOOK_SECRET,)


def test_the_server_keeps_idle_connections_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """`wallet-webhook-ingest` serves with `WALLET_WEBHOOK_INGEST_KEEP_ALIVE_S`: a provider's
    client reusing a connection the ingest had just closed would see its delivery fail."""
    runs: list[LimitedConfig] = []
    monkeypatch.setattr(entry_point, "serve", runs.append)
    monkeypatch.setenv("WALLET_WEBHOOK_INGEST_KEEP_ALIVE_S", "90")
    entry_point.main()
    [config] = runs
    assert config.timeout_keep_alive == 90


def test_the_server_runs_on_the_limited_protocol_with_the_ingests_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API's HTTP server, with the ingest's own `WALLET_WEBHOOK_INGEST_*` limits
    (test_webhook_ingest_server_limits.py sees them refuse on a real process)."""
    runs: list[LimitedConfig] = []
    monkeypatch.setattr(entry_point, "serve", runs.append)
    monkeypatch.setenv("WALLET_WEBHOOK_INGEST_MAX_HEADER_BYTES", "8192")
    monkeypatch.setenv("WALLET_WEBHOOK_INGEST_HEADER_TIMEOUT_S", "2.5")
    monkeypatch.setenv("WALLET_WEBHOOK_INGEST_BODY_TIMEOUT_S", "3.5")
    monkeypatch.setenv("WALLET_WEBHOOK_INGEST_MAX_CONNECTIONS", "77")
    entry_point.main()
    [config] = runs
    assert (config.loop, config.http, config.ws) == ("uvloop", LimitedHttpToolsProtocol, "none")
    assert config.limits == ServerLimits(
        max_header_bytes=8192, header_timeout_s=2.5, body_timeout_s=3.5, max_connections=77
    )
    # Each worker builds its own app: the config names the factory, and survives pickling.
    assert (config.app, config.factory) == ("wallet_webhook_ingest.main:serve_app", True)
    assert pickle.loads(pickle.dumps(config)).limits == config.limits  # noqa: S301 - our own bytes
