"""UUIDv7 identifiers: time-ordered, so new ledger rows land at the right of the index."""

from __future__ import annotations

from uuid import UUID

import uuid_utils
from wallet_domain.ports.id_generator import IdGenerator


class UuidV7Generator(IdGenerator):
    """uuid_utils' Rust UUIDv7 (monotonic within a millisecond), as a stdlib `uuid.UUID`."""

    def new_id(self) -> UUID:
        return UUID(int=uuid_utils.uuid7().int)
