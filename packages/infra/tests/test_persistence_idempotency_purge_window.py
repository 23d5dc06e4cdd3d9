"""The purge's retention window counts from the key's answer, not from its claim. A key
that stayed IN_PROGRESS for longer than the retention (a payment whose request died
after its debit while the provider could not tell the outcome; a dispute filing the
provider did not answer) was deleted by the first purge after the recovery
worker stored its reply: the client, told 409 IDEMPOTENCY_IN_PROGRESS ("send it again
later") the whole time, then found the key free and its retry was a NEW payment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.idempotency import IdempotencyRecord, IdempotencyState, StoredResponse
from wallet_infra.persistence.idempotency_store import SqlaIdempotencyStore

# Far in the past, so the purge here only reaches records tests made.
EPOCH: Final = datetime(2001, 1, 1, tzinfo=UTC)
RETENTION: Final = timedelta(hours=24)


async def test_a_reply_stored_late_is_kept_for_the_retention_after_it_was_stored(
    session: AsyncSession, user_id: str
) -> None:
    store = SqlaIdempotencyStore(session=session)
    claim = IdempotencyRecord(
        user_id=user_id,
        key="crashed-payment",
        fingerprint="f" * 64,
        state=IdempotencyState.IN_PROGRESS,
        created_at=EPOCH,
    )
    assert await store.claim(claim) is None
    # Two days IN_PROGRESS (the provider could not tell), then the recovery worker answers.
    answered_at = EPOCH + 2 * RETENTION
    await store.complete(user_id, claim.key, StoredResponse(201, b'{"id":"p1"}'), answered_at)
    await session.commit()

    # The purge job a minute after the answer, keeping records for RETENTION.
    await store.purge_older_than(answered_at + timedelta(minutes=1) - RETENTION, batch=10_000)
    await session.commit()

    # The client's retry with the same key and body must be replayed, not run again.
    held = await store.claim(claim)
    assert held is not None, "the key is free again: the retry would debit a second time"
    assert held.state is IdempotencyState.COMPLETED
