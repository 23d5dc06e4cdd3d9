"""The AMQP channel a confirmed publish goes out on, or `BrokerUnavailable` within a deadline.

FastStream owns the connection and its confirm channel (publisher confirms and
`on_return_raises`, set by `make_broker`) and declares the exchange; the publishers write
their frames on that channel's current aiormq channel (`confirmed_batch`). While the
robust connection reconnects, getting hold of the channel waits: bounded here, so a caller
answers "unavailable" instead of hanging.
"""

from __future__ import annotations

import asyncio
from typing import Final, cast

from aiormq import Channel
from aiormq.exceptions import AMQPError, ChannelInvalidStateError
from faststream.rabbit import RabbitBroker, RabbitExchange
from wallet_domain.ports.event_publisher import BrokerUnavailable

# What getting hold of the channel raises while the connection is down or reconnecting.
CONNECTION_ERRORS: Final = (TimeoutError, ConnectionError, AMQPError, ChannelInvalidStateError)


async def confirm_channel(
    broker: RabbitBroker, exchange: RabbitExchange, *, ready_timeout_s: float
) -> Channel:
    """The confirm channel to publish to `exchange` on (declared, idempotently, on the way)."""
    try:
        async with asyncio.timeout(ready_timeout_s):
            declared = await broker.declare_exchange(exchange)
            # A robust channel waits here while it reconnects: bounded, then unavailable.
            underlay = await declared.channel.get_underlay_channel()
    except CONNECTION_ERRORS as error:
        raise BrokerUnavailable(f"RabbitMQ channel not ready: {type(error).__name__}") from None
    # aiormq's one channel class (FastStream types it as its abstract base).
    return cast(Channel, underlay)
