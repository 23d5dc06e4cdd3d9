"""Run a consumer app (`AsgiFastStream`) under uvicorn: its HTTP probes and its broker.

uvicorn owns the signals: on SIGTERM/SIGINT it stops accepting HTTP and runs the ASGI
lifespan shutdown, in which FastStream stops consuming, waits for deliveries in flight
(up to the broker's graceful timeout) to finish and be acknowledged, closes the broker,
then the app's `after_shutdown` closes the container (pool). Deliveries not finished by
then stay unacknowledged and the broker requeues them.
"""

from __future__ import annotations

import uvicorn
from faststream.asgi import AsgiFastStream


def serve(app: AsgiFastStream, *, host: str, port: int) -> None:
    uvicorn.run(
        app,
        host=host,
        port=port,
        lifespan="on",
        loop="uvloop",
        http="httptools",
        access_log=False,  # probes every few seconds are not worth a log line each
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )
