import gc
from collections.abc import Iterator

import pytest
from wallet_infra.startup_heap import freeze_startup_heap


@pytest.fixture
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # give the test process its heap back


@pytest.mark.usefixtures("_unfrozen")
def test_objects_alive_at_start_up_leave_the_collected_generations() -> None:
    started = {"a start-up object": [1, 2, 3]}
    frozen_before = gc.get_freeze_count()

    freeze_startup_heap()

    assert gc.get_freeze_count() > frozen_before
    assert not any(obj is started for obj in gc.get_objects())  # no generation holds it
    later: list[object] = []
    assert any(obj is later for obj in gc.get_objects())  # a later one is still collected
