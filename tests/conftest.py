"""Fixtures the cross-process tests share; wiring only (the helpers are in
`consumers_harness.py`, `money_safety_kit.py`, `relay_harness.py`, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from .consumers_harness import Stack, private_stack


@pytest_asyncio.fixture(loop_scope="session")
async def consumers_stack(
    rabbit_control_and_url: tuple[Any, str], database_url: str
) -> AsyncIterator[Stack]:
    """A private database and virtual host for one test's API, relay and consumers."""
    async with private_stack(rabbit_control_and_url, database_url) as created:
        yield created
