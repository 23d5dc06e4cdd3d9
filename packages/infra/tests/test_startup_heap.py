"""`freeze_startup_heap`: start-up's objects leave the collector's view; later garbage does not."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from wallet_infra.startup_heap import freeze_startup_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen_after")
def test_the_heap_is_frozen_and_later_cycles_are_still_collected() -> None:
    survivor = _Node()

    freeze_startup_heap()

    assert gc.get_freeze_count() > 0
    assert not any(o is survivor for o in gc.get_objects())  # no collection scans it
    garbage = weakref.ref(_Node())
    gc.collect()
    assert garbage() is None
