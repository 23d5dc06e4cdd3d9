"""The ingest under test: its real `make_app`, started (lifespan) in this process on a
private virtual host of the real broker, called over `httpx.ASGITransport`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from ingest_testkit import Ingest, ingest_settings, running_ingest
from wallet_testkit.amqp import RabbitVhost, private_vhost


@pytest.fixture(scope="module")
def vhost(rabbit_control_and_url: tuple[Any, str]) -> Iterator[RabbitVhost]:
    """A virtual host of this module's own on the real broker (deleted after)."""
    with private_vhost(*rabbit_control_and_url, prefix="wallet-ingest-test-") as created:
        yield created


@pytest_asyncio.fixture(loop_scope="session")
async def ingest(vhost: RabbitVhost) -> AsyncIterator[Ingest]:
    """The ingest on this module's virtual host, connected (topology declared)."""
    async with running_ingest(ingest_settings(vhost.url)) as started:
        yield started
