"""The process's hint of idempotency keys holding a reply (`AnsweredKeys`), in memory."""

from __future__ import annotations

from typing import Final

from cachetools import LRUCache
from wallet_domain.ports.answered_keys import AnsweredKeys

# A replay comes within seconds or minutes of its request; this many keys is minutes of a
# busy process's payments, for ~10 MB (about 200 bytes a key: the LRU's dict and order).
DEFAULT_CAPACITY: Final = 50_000


class RecentAnsweredKeys(AnsweredKeys):
    """The `capacity` keys most recently noted or found noted; the least recently used one
    is pushed out. Each is kept as the hash of (user_id, key), so its cost does not grow
    with the key's length. Two keys sharing a hash make a false hint, which costs one read
    (see the port). APP-scoped: one per process, shared by every request of its event loop
    (not thread-safe: even `noted` reorders the LRU)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._keys: LRUCache[int, bool] = LRUCache(maxsize=capacity)

    def noted(self, user_id: str, key: str) -> bool:
        return self._keys.get(hash((user_id, key)), False)

    def note(self, user_id: str, key: str) -> None:
        self._keys[hash((user_id, key))] = True

    def forget(self, user_id: str, key: str) -> None:
        self._keys.pop(hash((user_id, key)), None)
