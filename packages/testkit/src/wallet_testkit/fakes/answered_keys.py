"""`AnsweredKeys` fakes: one that remembers every key noted, one that never does."""

from __future__ import annotations

from wallet_domain.ports.answered_keys import AnsweredKeys


class NotedKeys(AnsweredKeys):
    """Every key noted, until forgotten; `asked` counts the look-ups that found one,
    `forgotten` lists the keys forgotten."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()
        self.asked = 0
        self.forgotten: list[tuple[str, str]] = []

    def noted(self, user_id: str, key: str) -> bool:
        found = (user_id, key) in self.keys
        self.asked += found
        return found

    def note(self, user_id: str, key: str) -> None:
        self.keys.add((user_id, key))

    def forget(self, user_id: str, key: str) -> None:
        self.keys.discard((user_id, key))
        self.forgotten.append((user_id, key))


class NoHints(AnsweredKeys):
    """A process that never saw the key answered (another one did): every request takes
    the write's own path."""

    def noted(self, user_id: str, key: str) -> bool:
        return False

    def note(self, user_id: str, key: str) -> None:
        return None

    def forget(self, user_id: str, key: str) -> None:
        return None
