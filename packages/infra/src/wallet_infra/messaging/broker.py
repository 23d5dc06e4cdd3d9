"""The FastStream RabbitMQ broker every process builds the same way.

Publisher confirms are on, and a `mandatory` message RabbitMQ cannot route raises
instead of being "confirmed" into the void (`on_return_raises`): with both, a confirm
means the message sits in at least one durable queue. The connection is robust: after
a broker restart aio-pika reconnects every `reconnect_interval_s` and re-declares the
topology objects it declared before.

FastStream's own per-message lines ("Received", "Processed") go through the process's
logging setup at DEBUG: at the default level they would cost every delivery two
formatted log lines, for what the delivery metrics already count.
"""

from __future__ import annotations

import logging
from typing import Final

from faststream.rabbit import Channel, RabbitBroker

RECONNECT_INTERVAL_S: Final = 1.0
CONNECT_TIMEOUT_S: Final = 5.0
GRACEFUL_TIMEOUT_S: Final = 15.0


def make_broker(
    amqp_url: str,
    *,
    prefetch_count: int | None = None,
    reconnect_interval_s: float = RECONNECT_INTERVAL_S,
    app_id: str = "wallet",
    apply_types: bool = True,
) -> RabbitBroker:
    """A broker for `amqp_url`, not yet connected (`await broker.connect()` or `start()`).

    `prefetch_count` bounds a consumer's unacked deliveries; publishers leave it unset.
    `apply_types=False` calls handlers with their decoder's result, without FastDepends.
    """
    return RabbitBroker(
        amqp_url,
        default_channel=Channel(
            publisher_confirms=True,
            on_return_raises=True,
            prefetch_count=prefetch_count,
        ),
        timeout=CONNECT_TIMEOUT_S,
        reconnect_interval=reconnect_interval_s,
        graceful_timeout=GRACEFUL_TIMEOUT_S,
        app_id=app_id,
        logger=logging.getLogger(f"{app_id}.broker"),
        log_level=logging.DEBUG,
        apply_types=apply_types,
    )
