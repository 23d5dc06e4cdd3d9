"""Run a `LimitedConfig`: what `uvicorn.run` does (it takes keyword settings only, not a
Config), one server in this process or a supervisor and `config.workers` workers."""

from __future__ import annotations

import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from wallet_infra.http_server.config import LimitedConfig


def serve(config: LimitedConfig) -> None:
    """Serve until stopped; exit with uvicorn's start-up failure code if it never started."""
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    if config.workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)
