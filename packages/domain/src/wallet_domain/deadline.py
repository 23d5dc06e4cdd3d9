"""A request deadline, passed down explicitly so every wait is bounded by it."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    expires_at: float  # time.monotonic() seconds

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def keeping(self, share: float) -> Deadline:
        """An earlier deadline that leaves `share` of the time remaining now for later work."""
        return Deadline(self.expires_at - self.remaining() * share)

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0
