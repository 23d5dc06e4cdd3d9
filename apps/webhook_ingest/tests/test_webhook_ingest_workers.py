"""Operators scale the ingest's processes as they do the API's: `WEB_CONCURRENCY=2` (or
`WALLET_WEBHOOK_INGEST_WORKERS`) runs a supervisor and two workers, each with its own app
and broker connection, whose samples the supervisor's one metrics port adds up. (The
ingest once handed uvicorn its app object, which cannot be pickled into a worker: it
died at start-up.)

A real `wallet-webhook-ingest` process on this module's private virtual host."""

from __future__ import annotations

from typing import Final

import httpx
from ingest_testkit import ingest_process
from wallet_testkit.amqp import RabbitVhost
from wallet_testkit.metrics import parse_metrics, value
from wallet_testkit.polling import eventually
from wallet_testkit.processes import free_port, worker_pids
from wallet_testkit.webhooks import event_body, new_event_id, signed_headers

PATH: Final = "/webhooks/gateway"
WEBHOOKS: Final = 4


async def _accepted(client: httpx.AsyncClient) -> bool:
    """One signed webhook, on a new connection (whichever worker takes it): 202, or 503
    while that worker's broker link is still connecting."""
    event_id = new_event_id()
    body = event_body(event_id)
    reply = await client.post(PATH, content=body, headers=signed_headers(body, event_id))
    assert reply.status_code in (202, 503), reply.text
    return reply.status_code == 202


async def test_web_concurrency_runs_two_workers_that_serve_and_stop_cleanly(
    vhost: RabbitVhost,
) -> None:
    port, metrics_port = free_port(), free_port()
    process = ingest_process(vhost.url, port, metrics_port, WEB_CONCURRENCY="2")
    try:
        await process.wait_healthy()
        assert len(worker_pids(process.pid)) == 2, process.log(tail=4000)
        limits = httpx.Limits(max_keepalive_connections=0)  # a new connection each time
        async with httpx.AsyncClient(base_url=process.base_url, limits=limits) as client:
            for _ in range(WEBHOOKS):
                await eventually(lambda: _accepted(client), timeout_s=30)
            scraped = await client.get(f"http://127.0.0.1:{metrics_port}/metrics")
        samples = parse_metrics(scraped.text)
        assert (
            value(samples, "wallet_webhook_ingest_requests_total", outcome="accepted") == WEBHOOKS
        )
    finally:
        process.close()
    assert process.stopped_gracefully(), process.output
