"""Finding what a piece of work leaves in reference cycles (freed only by the garbage
collector, not by reference counting when the work ends).

Pause the collector (`collector_paused`), do the work once so that caches fill, take
`cyclic_garbage()` once to start clean, do the work again, and `cyclic_garbage()` is what
it left in cycles.
"""

from __future__ import annotations

import collections
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off (after a clean slate), so that what is left in cycles stays
    there to be counted."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cyclic_garbage(*kinds: type) -> collections.Counter[str]:
    """What a collection finds unreachable now (only instances of `kinds`, if given), by
    type name; then all of it is freed."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        found = collections.Counter(
            type(thing).__name__ for thing in gc.garbage if not kinds or isinstance(thing, kinds)
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()  # what was saved is unreachable again: freed this time
    return found
