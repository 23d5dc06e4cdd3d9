"""Lists whose ids and timestamps disagree: holds written straight into the table with
the created_at a test picks (a hold is immutable once written, so it cannot be re-timed),
and cursors as the API issued them when holds and disputes were listed by id alone."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator

_INSERT: Final = text(
    "INSERT INTO holds (id, user_id, currency, amount, status, expires_at, created_at,"
    " updated_at) VALUES (:id, :uid, 'USD', 10, 'REVERTED', :expires, :at, :at)"
)
_ids: Final = UuidV7Generator()


async def insert_holds(engine: AsyncEngine, user_id: str, seconds_ago: Sequence[int]) -> list[str]:
    """One hold of the wallet per entry, created that many seconds ago, ids made in the
    order given; settled (REVERTED), so that no worker touches them. Their ids."""
    now = SystemClock().now()
    made = []
    async with engine.begin() as conn:
        for seconds in seconds_ago:
            hold_id, at = _ids.new_id(), now - timedelta(seconds=seconds)
            params = {"id": hold_id, "uid": user_id, "at": at, "expires": at + timedelta(days=1)}
            await conn.execute(_INSERT, params)
            made.append(str(hold_id))
    return made


def v1_cursor(item_id: str) -> str:
    """A cursor naming `item_id` as the API issued them when lists were ordered by id."""
    raw = b"v1:" + uuid.UUID(item_id).bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
