"""Shared fixtures for the domain tests: a fresh in-memory world per test."""

from __future__ import annotations

import pytest
from wallet_testkit.fakes.world import World


@pytest.fixture
def world() -> World:
    return World()
