"""Idempotency keys seen holding a reply: where a write looks first to tell a replay."""

from __future__ import annotations

from typing import Protocol


class AnsweredKeys(Protocol):
    """The (user_id, key) pairs this process saw hold a stored reply, kept as a hint only.

    A request under one of them is most likely a replay, so its use case reads the stored
    reply (one key lookup) before it builds its write; the write's own statement, which
    also claims the key, is what any other request runs. The store stays the only truth:
    a key noted here and purged since reads as absent and the write runs as usual, and a
    key not noted (answered by another process, or forgotten) is found by the write's
    claim. So a hint can be lost, wrong or shared by nothing without changing an answer.
    """

    def noted(self, user_id: str, key: str) -> bool:
        """Whether the key was noted (and not forgotten or pushed out since)."""
        ...

    def note(self, user_id: str, key: str) -> None:
        """The key holds a reply, committed."""
        ...

    def forget(self, user_id: str, key: str) -> None:
        """The key was noted but holds no reply now (purged since)."""
        ...
