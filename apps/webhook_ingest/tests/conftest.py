"""The ingest under test: its real `make_app`, started (lifespan) in this process on a
private virtual host of the real broker (the root conftest's `vhost`), called over
`httpx.ASGITransport`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator

import pytest_asyncio
from ingest_testkit import Ingest, ingest_settings, running_ingest
from wallet_testkit.amqp import RabbitVhost


@pytest_asyncio.fixture(loop_scope="session")
async def ingest(vhost: RabbitVhost) -> AsyncIterator[Ingest]:
    """The ingest on this module's virtual host, connected (topology declared)."""
    async with running_ingest(ingest_settings(vhost.url)) as started:
        yield started
