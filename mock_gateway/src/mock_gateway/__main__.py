"""`mock-gateway` console entry point: serve the mock with uvicorn."""

from __future__ import annotations

import uvicorn

from mock_gateway.app import create_app
from mock_gateway.settings import Settings


def main() -> None:
    settings = Settings()
    # No per-request access log: the mock must not be the bottleneck of a benchmark.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
