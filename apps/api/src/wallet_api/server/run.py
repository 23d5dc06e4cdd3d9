"""Build the uvicorn server `wallet-api` runs, and run it (one process, or a supervisor and
`api_workers` (else `WEB_CONCURRENCY`) worker processes), with the API's metrics port beside it."""

from __future__ import annotations

from wallet_infra.config.settings import Settings
from wallet_infra.http_server.config import LimitedConfig
from wallet_infra.http_server.limits import ServerLimits
from wallet_infra.http_server.protocol import LimitedHttpToolsProtocol
from wallet_infra.http_server.run import serve
from wallet_infra.http_server.workers import worker_count

from wallet_api.server.metrics_port import api_metrics_port

APP_FACTORY = "wallet_api.main:serve_app"
# The edge middleware's access log: the server's refusals write their line there too.
ACCESS_LOGGER = "wallet_api.access"


def server_limits(settings: Settings) -> ServerLimits:
    return ServerLimits(
        max_header_bytes=settings.api_max_header_bytes,
        header_timeout_s=settings.api_header_timeout_s,
        body_timeout_s=settings.api_body_timeout_s,
        max_connections=settings.api_max_connections,
    )


def server_config(settings: Settings, app: object = APP_FACTORY) -> LimitedConfig:
    """Factory mode by import string (the default): each worker process builds its own
    app, container, pool and gateway client (none of them can be shared across processes).
    Tests pass an app object to serve it in-process."""
    return LimitedConfig(
        app,
        limits=server_limits(settings),
        access_logger=ACCESS_LOGGER,
        factory=isinstance(app, str),
        host=settings.api_host,
        port=settings.api_port,
        workers=worker_count(settings.api_workers),
        loop="uvloop",
        http=LimitedHttpToolsProtocol,
        ws="none",  # the API has no WebSocket route: an Upgrade is answered as plain HTTP
        timeout_keep_alive=settings.api_keep_alive_s,
        access_log=False,  # the edge middleware writes one structured line per request
        log_config=None,  # keep our structlog set-up
        server_header=False,
    )


def run(settings: Settings) -> None:
    """One server in this process, or a worker supervisor, with the metrics port beside."""
    config = server_config(settings)
    with api_metrics_port(settings, config.workers):
        serve(config)
