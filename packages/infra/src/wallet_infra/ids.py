"""Identifiers: UUIDv7 for rows (time-ordered, so new ledger rows land at the right of the
index), random hex for request ids."""

from __future__ import annotations

from uuid import UUID

import uuid_utils
from wallet_domain.ports.id_generator import IdGenerator

from wallet_infra.persistence.std_uuid import uuid_of_int


class UuidV7Generator(IdGenerator):
    """uuid_utils' Rust UUIDv7 (monotonic within a millisecond), as a stdlib `uuid.UUID`."""

    def new_id(self) -> UUID:
        return uuid_of_int(uuid_utils.uuid7().int)


def random_hex_id() -> str:
    """A random (version 4) UUID as 32 lower-case hex digits, e.g. a request id.
    uuid_utils' generator: the stdlib's `uuid4` makes a system call (`os.urandom`) for
    every id, and a request without an id of its own needs one."""
    hex_id: str = uuid_utils.uuid4().hex
    return hex_id
