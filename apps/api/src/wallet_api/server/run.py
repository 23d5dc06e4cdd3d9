"""Build the uvicorn server `wallet-api` runs, and run it (one process, or a supervisor and
`api_workers` worker processes), with the API's metrics port beside it."""

from __future__ import annotations

import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from wallet_infra.config.settings import Settings

from wallet_api.server.config import LimitedConfig
from wallet_api.server.limits import ServerLimits
from wallet_api.server.metrics_port import api_metrics_port
from wallet_api.server.protocol import LimitedHttpToolsProtocol

APP_FACTORY = "wallet_api.main:serve_app"


def server_config(settings: Settings, app: object = APP_FACTORY) -> LimitedConfig:
    """Factory mode by import string (the default): each worker process builds its own
    app, container, pool and gateway client (none of them can be shared across processes).
    Tests pass an app object to serve it in-process."""
    return LimitedConfig(
        app,
        limits=ServerLimits.from_settings(settings),
        factory=isinstance(app, str),
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        loop="uvloop",
        http=LimitedHttpToolsProtocol,
        ws="none",  # the API has no WebSocket route: an Upgrade is answered as plain HTTP
        timeout_keep_alive=settings.api_keep_alive_s,
        access_log=False,  # the edge middleware writes one structured line per request
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


def run(settings: Settings) -> None:
    """What `uvicorn.run` does for our config (it only takes keyword settings, not a
    Config): one server in this process, or a worker supervisor."""
    config = server_config(settings)
    server = uvicorn.Server(config)
    try:
        with api_metrics_port(settings):
            if config.workers > 1:
                Multiprocess(config, sockets=[config.bind_socket()]).run()
            else:
                server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
