"""HTTP stand-in for the external payment provider, with scripted failure modes
(docs/operations.md, Mock gateway)."""

from mock_gateway.app import create_app
from mock_gateway.modes import Mode
from mock_gateway.settings import Settings

__all__ = ["Mode", "Settings", "create_app"]
