"""Fixtures shared by the relay's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .relay_testkit import Outbox


@pytest_asyncio.fixture(loop_scope="session")
async def box(private_database_url: str) -> AsyncIterator[Outbox]:
    """The private database's outbox, empty before the test and after it (a row a test
    leaves unsent, say of a type no relay knows, would be another test's backlog)."""
    box = Outbox(private_database_url)
    await box.clear()
    yield box
    await box.clear()
    await box.close()
