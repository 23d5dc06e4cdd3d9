"""asyncpg's UUIDs as the standard library's, cheaply.

asyncpg returns its own `uuid.UUID` subclass, which orjson (events, API bodies, stored
replies) refuses, so every uuid read back is converted. `UUID(int=...)` re-validates an
int that asyncpg already made a valid UUID of and costs ~0.8 us, which a 21-row history
page paid some forty times. `std_uuid` sets the two slots `UUID.__init__` sets, the way
`__init__` itself does (a UUID refuses ordinary assignment), for ~0.3 us; a test pins
that the result is a plain `uuid.UUID` equal to, and encoded like, the one
`UUID(str(value))` gives.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID, SafeUUID

_new: Final = object.__new__
_set: Final = object.__setattr__
_UNKNOWN: Final = SafeUUID.unknown


def std_uuid(value: UUID) -> UUID:
    """`value` (any `uuid.UUID`, asyncpg's included) as a plain `uuid.UUID`."""
    return uuid_of_int(value.int)


def uuid_of_int(value: int) -> UUID:
    """`UUID(int=value)` for a 128-bit `value` known to be one (another UUID's, a UUID
    generator's), without `UUID.__init__`'s checks."""
    std: UUID = _new(UUID)
    _set(std, "int", value)
    _set(std, "is_safe", _UNKNOWN)
    return std
