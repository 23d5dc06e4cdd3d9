"""The HTTP server's refusals (requests or connections cut before the app ran), by reason.

On the default registry, which the API serves; the ingest adds it to its own registry.
One counter per process, not per config: uvicorn pickles the config into each worker.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter

REFUSED: Final = Counter(
    "http_server_refusals_total",
    "Requests or connections the HTTP server cut before the app ran, by reason.",
    ["reason"],
)
