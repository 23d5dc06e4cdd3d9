"""Evidence a client adds after filing reaches the provider: the recovery worker sends it
(the real app, PostgreSQL and the mock provider), and the dispute shows how many texts the
provider holds. The database side: a claimed dispute is leased, a count never goes down
and never past the dispute's texts, and the claim reads only its partial index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from dispute_kit import Provider, approved_payment, open_dispute
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from wallet_api_testkit import Api, StartApi
from wallet_infra.persistence.dispute_book import SqlaDisputeBook
from wallet_infra.persistence.engine import make_engine
from wallet_testkit.polling import eventually

from mock_gateway import Settings as MockGatewaySettings
from mock_gateway import create_app as create_mock_gateway

FORWARDED_WITHIN_S = 10.0


async def _dispute(api: Api, dispute_id: str) -> tuple[dict[str, Any], str]:
    response = await api.client.get(f"/disputes/{dispute_id}")
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


async def _filed_with(api: Api, evidence: list[str]) -> str:
    user_id, payment_id = await approved_payment(api)
    opened = await open_dispute(api, user_id, payment_id, evidence=evidence)
    assert opened.status_code == 201, opened.text
    assert opened.json()["evidence_forwarded"] == len(evidence)  # the filing carried them
    dispute_id: str = opened.json()["id"]
    return dispute_id


async def test_evidence_added_after_filing_reaches_the_provider_and_the_dispute_says_so(
    start_api: StartApi, own_database_url: str
) -> None:
    mock = create_mock_gateway(MockGatewaySettings())
    provider = Provider(mock)
    async with start_api(
        database_url=own_database_url,
        mock_app=mock,
        recovery_enabled=True,
        recovery_interval_s=0.05,
    ) as api:
        dispute_id = await _filed_with(api, ["receipt"])
        added = await api.client.post(
            f"/disputes/{dispute_id}/evidence", json={"evidence": ["photo", "letter"]}
        )
        assert added.status_code == 200, added.text
        assert added.json()["evidence"] == ["receipt", "photo", "letter"]
        _, tag_before = await _dispute(api, dispute_id)

        async def forwarded() -> bool:
            return (await _dispute(api, dispute_id))[0]["evidence_forwarded"] == 3

        await eventually(forwarded, timeout_s=FORWARDED_WITHIN_S)
        filed = provider.filed(dispute_id)
        assert filed is not None
        assert filed["evidence"] == ["receipt", "photo", "letter"]
        after, tag_after = await _dispute(api, dispute_id)
        # What the provider holds is part of the resource: a change, like any other.
        assert tag_after != tag_before
        assert after["updated_at"] > added.json()["updated_at"]


async def _claim(engine: AsyncEngine, *, lease_s: float = 60.0) -> UUID | None:
    now = datetime.now(UTC)
    async with AsyncSession(bind=engine) as session, session.begin():
        found = await SqlaDisputeBook(session=session).claim_evidence_to_forward(
            due_by=now, lease_until=now + timedelta(seconds=lease_s)
        )
    return None if found is None else found.id


async def _record(engine: AsyncEngine, dispute_id: UUID, held: int) -> tuple[int, bool]:
    """Record that the provider holds `held` texts; then the count the dispute shows, and
    whether its `updated_at` moved to this record's time (a higher count)."""
    at = datetime.now(UTC)
    async with AsyncSession(bind=engine) as session, session.begin():
        book = SqlaDisputeBook(session=session)
        await book.record_forwarding(dispute_id, evidence_held=held, next_at=None, at=at)
        found = await book.get(dispute_id, None)
    assert found is not None
    return found.evidence_forwarded, found.updated_at == at


async def test_a_claimed_dispute_is_leased_and_its_count_never_goes_down_or_past_its_texts(
    start_api: StartApi, own_database_url: str
) -> None:
    """On a database of its own: a claim takes any dispute due."""
    engine = make_engine(own_database_url, pool_size=2, max_overflow=0)
    async with engine_disposed(engine), start_api(database_url=own_database_url) as api:
        dispute_id = UUID(await _filed_with(api, ["receipt"]))
        assert await _claim(engine) is None  # the provider holds what it has
        added = await api.client.post(
            f"/disputes/{dispute_id}/evidence", json={"evidence": ["photo"]}
        )
        assert added.status_code == 200, added.text

        assert await _claim(engine) == dispute_id
        assert await _claim(engine) is None  # leased to the first worker
        assert await _record(engine, dispute_id, 0) == (1, False)  # says nothing new
        assert await _record(engine, dispute_id, 2) == (2, True)
        assert await _record(engine, dispute_id, 1) == (2, False)  # a late, shorter answer
        with pytest.raises(IntegrityError, match="disputes_evidence_forwarded_within_evidence"):
            await _record(engine, dispute_id, 3)
        assert await _claim(engine) is None  # all held


@asynccontextmanager
async def engine_disposed(engine: AsyncEngine) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await engine.dispose()


async def test_the_claim_reads_only_the_disputes_with_evidence_to_send(
    api: Api, engine: AsyncEngine
) -> None:
    """Through disputes_evidence_to_forward_idx, for the values at hand and for the generic
    plan a prepared statement switches to (every round sends it): never the whole table."""
    sent: list[tuple[str, list[Any]]] = []

    def record(*args: Any) -> None:
        _conn, _cursor, statement, parameters, *_ = args
        sent.append((statement, list(parameters)))

    async with engine.connect() as conn:
        sync = conn.sync_connection
        assert sync is not None
        event.listen(sync, "before_cursor_execute", record)
        try:
            async with AsyncSession(bind=conn) as session:
                now = datetime.now(UTC)
                await SqlaDisputeBook(session=session).claim_evidence_to_forward(
                    due_by=now, lease_until=now
                )
                await session.rollback()
        finally:
            event.remove(sync, "before_cursor_execute", record)
        [(sql, params)] = sent
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("SET enable_seqscan = off")
        try:
            custom = await raw.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params)
            await raw.execute(f"PREPARE evidence_claim_probe AS {sql}")
            await raw.execute("SET plan_cache_mode = force_generic_plan")
            literals = ", ".join(f"'{p}'" for p in params)
            generic = await raw.fetchval(
                f"EXPLAIN (FORMAT JSON) EXECUTE evidence_claim_probe({literals})"
            )
        finally:
            # Only this statement: the driver's own prepared statements live on too.
            await raw.execute(
                "DEALLOCATE evidence_claim_probe; RESET plan_cache_mode; RESET enable_seqscan"
            )
        await conn.rollback()
        # Its settings were played with: never hand it back to the shared pool.
        await conn.invalidate()
    for plan in (custom, generic):
        assert "disputes_evidence_to_forward_idx" in str(plan), plan
