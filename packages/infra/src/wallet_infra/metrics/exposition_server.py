"""Prometheus `/metrics` on a port of its own, for processes whose main port is not HTTP
(the relay) or is public (the API), so scrapes never share the clients' port or need a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from prometheus_client import CollectorRegistry, start_http_server

_log = structlog.get_logger(__name__)


@contextmanager
def serve_metrics(
    registry: CollectorRegistry, *, host: str, port: int, process: str
) -> Iterator[None]:
    """Serve `/metrics` of `registry` on a thread while the block runs (port 0: not at all).

    A port already taken (a second instance on the host) is logged, not fatal: the
    process's real work matters more than exposing how it goes.
    """
    if not port:
        yield
        return
    try:
        server, thread = start_http_server(port, host, registry=registry)
    except OSError as error:
        _log.error(
            "metrics not served", process=process, host=host, port=port, error=type(error).__name__
        )
        yield
        return
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
