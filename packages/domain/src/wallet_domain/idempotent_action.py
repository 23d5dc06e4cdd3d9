"""An action whose Idempotency-Key is optional: run it once per key when one is given.

With a key, the first request's reply is stored with the change it reports and replayed
byte for byte (same key + same request), a different request under the key is 422, and
one still in flight is 409. A request that fails (a 404, a 409 INVALID_STATE) rolls back
and leaves the key unused. Without a key the action simply runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from wallet_domain.model.idempotency import (
    Reply,
    StoredResponse,
    new_claim,
    reply_to_existing,
    validate_idempotency_key,
)
from wallet_domain.ports.idempotency_store import IdempotencyStore
from wallet_domain.ports.transaction_manager import TransactionManager
from wallet_domain.unit_of_work import rolling_back


def optional_key(key: str | None) -> str | None:
    return None if key is None else validate_idempotency_key(key)


async def run_once(
    *,
    idempotency: IdempotencyStore,
    tx: TransactionManager,
    user_id: str,
    key: str | None,
    request_fingerprint: str,
    now: datetime,
    action: Callable[[], Awaitable[StoredResponse]],
) -> Reply:
    """Claim `key` (if any), run `action` and store its reply, then commit, all in one
    transaction; roll back on any failure."""
    async with rolling_back(tx):
        if key is not None:
            existing = await idempotency.claim(
                new_claim(user_id=user_id, key=key, fingerprint=request_fingerprint, at=now)
            )
            if existing is not None:
                await tx.rollback()
                return reply_to_existing(existing, request_fingerprint)
        response = await action()
        if key is not None:
            await idempotency.complete(user_id, key, response, now)
        await tx.commit()
    return Reply(response)
