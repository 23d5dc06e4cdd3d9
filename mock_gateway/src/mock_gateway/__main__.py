"""`mock-gateway` console entry point: serve the mock with uvicorn."""

from __future__ import annotations

import uvicorn

from mock_gateway.app import create_app
from mock_gateway.settings import Settings


def main() -> None:
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
