"""`HoldBook` on PostgreSQL: the `holds` table, each write ONE statement.

Opening a hold claims its idempotency key (already answered), locks the balance row,
debits it into `pending_debit` and writes the hold, its HOLD ledger row and
`hold.created`, every step guarded by the previous one (not covered: nothing written,
the key included). Settling moves the hold out of PENDING (its trigger allows that
once), releases what was not captured and takes the hold off `pending_debit`, with its
event, only if the hold is still PENDING when the statement reaches its row (a
concurrent move holding the row makes it wait, then find the hold moved: nothing
written) and, for a completion or revert, not yet due by the database's clock (the one
the expiry worker's claim reads too). Reading one hold, opening and settling run on
their own (each committing by itself, no BEGIN/COMMIT round trips) unless the session
has a transaction open: a keyed settle or the expiry worker began one by locking the
hold, and the settle joins it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_domain.model.events import DomainEvent
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.idempotency import IdempotencyRecord
from wallet_domain.model.pagination import LedgerPosition
from wallet_domain.model.transaction import LedgerEntry
from wallet_domain.money import Money
from wallet_domain.ports.hold_book import HoldBook, HoldMove, HoldOpening, HoldOpenOutcome

from wallet_infra.persistence.driver import DriverStatement, fetchrow, json_text
from wallet_infra.persistence.errors import SAME_KEY_DEADLOCK
from wallet_infra.persistence.idempotency_store import record_of
from wallet_infra.persistence.ledger import append_errors
from wallet_infra.persistence.ledger_queries import entry_row
from wallet_infra.persistence.outbox import TraceparentProvider, event_row
from wallet_infra.persistence.position_pages import page_query, position_of, position_query
from wallet_infra.persistence.statements.hold_book import (
    KEY_TAKEN,
    OPEN_ATTEMPTS,
    OPEN_HOLD,
    SETTLE_CAPTURING_ALL,
    SETTLE_RELEASING,
)
from wallet_infra.persistence.tables import holds

_h = holds

_BY_ID: Final = select(*_h.c).where(_h.c.id == bindparam("hid"), _h.c.user_id == bindparam("uid"))
_LOCK: Final = _BY_ID.with_for_update()
_READ: Final = DriverStatement(_BY_ID)
# Oldest deadline first through holds_pending_expiry_idx; SKIP LOCKED hands each due hold
# to exactly one worker, and a hold a request is settling is left to that request. Due by
# the database's clock: the one the settle statements refuse a late capture by.
_CLAIM_EXPIRED: Final = (
    select(*_h.c)
    .where(_h.c.status == "PENDING", _h.c.expires_at <= func.now())
    .order_by(_h.c.expires_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)


def hold_row(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "user_id": hold.user_id,
        "currency": hold.money.currency,
        "amount": hold.money.amount,
        "captured": hold.captured,
        "status": hold.status.value,
        "reference": hold.reference,
        "expires_at": hold.expires_at,
        "created_at": hold.created_at,
        "updated_at": hold.updated_at,
    }


def hold_from_row(row: Mapping[Any, Any]) -> Hold:
    """A hold from a `holds` row (a SQLAlchemy row's `_mapping` or an asyncpg record,
    whose uuid type orjson refuses: hence the stdlib one)."""
    return Hold(
        id=UUID(int=row["id"].int),
        user_id=row["user_id"],
        money=Money(row["amount"], row["currency"]),
        status=HoldStatus(row["status"]),
        captured=row["captured"],
        reference=row["reference"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _prefixed(row: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {f"{prefix}{name}": value for name, value in row.items()}


class SqlaHoldBook(HoldBook):
    """Holds on the request session's connection; never commits."""

    def __init__(
        self, *, session: AsyncSession, traceparent_provider: TraceparentProvider | None = None
    ) -> None:
        self._session = session
        self._traceparent = traceparent_provider

    def _event(self, event: DomainEvent) -> dict[str, Any]:
        traceparent = None if self._traceparent is None else self._traceparent()
        row = event_row(event, traceparent) | {"payload": json_text(event.payload)}
        return _prefixed(row, "e0_")

    async def open(
        self, hold: Hold, entry: LedgerEntry, created: DomainEvent, claim: IdempotencyRecord
    ) -> HoldOpening:
        if claim.response is None:
            raise ValueError("a hold's key is claimed already answered")
        params = {
            "user_id": hold.user_id,
            "currency": hold.money.currency,
            "amount": hold.money.amount,
            "key": claim.key,
            "fingerprint": claim.fingerprint,
            "reply_status": claim.response.status_code,
            "reply_body": claim.response.body,
            "created_at": claim.created_at,
            **_prefixed(hold_row(hold), "h_"),
            **_prefixed(entry_row(entry), "t_"),
            **self._event(created),
        }
        # A key reused across a deposit and a hold takes key and balance in opposite
        # orders; PostgreSQL breaks the tie: one is "in flight".
        sqlstates = SAME_KEY_DEADLOCK
        for _ in range(OPEN_ATTEMPTS):
            row = await fetchrow(
                self._session,
                "hold_book.open",
                OPEN_HOLD,
                params,
                constraints=append_errors(entry),
                sqlstates=sqlstates,
            )
            if row["claimed"]:
                if not row["held"]:
                    raise RuntimeError("hold key claimed but not debited")  # the CTE's contract
                return HoldOpening(HoldOpenOutcome.OPENED)
            if row["user_id"] is not None:
                return HoldOpening(HoldOpenOutcome.KEY_HELD, holder=record_of(row))
            if not row["wallet_exists"]:
                return HoldOpening(HoldOpenOutcome.NO_WALLET)
            if not await self._key_taken(hold.user_id, claim.key):
                return HoldOpening(HoldOpenOutcome.NOT_COVERED)
        raise RuntimeError("idempotency key neither claimable nor readable")

    async def _key_taken(self, user_id: str, key: str) -> bool:
        """Whether the key exists as committed now (the statement's snapshot may predate
        it): then the open is tried again and reads it."""
        row = await fetchrow(self._session, "hold_book.key", KEY_TAKEN, {"u": user_id, "k": key})
        taken: bool = row["taken"]
        return taken

    async def lock(self, user_id: str, hold_id: UUID) -> Hold | None:
        row = (await self._session.execute(_LOCK, {"hid": hold_id, "uid": user_id})).first()
        return None if row is None else hold_from_row(row._mapping)

    async def get(self, user_id: str, hold_id: UUID) -> Hold | None:
        params = {"hid": hold_id, "uid": user_id}
        row = await fetchrow(self._session, "hold_book.get", _READ, params)
        return None if row is None else hold_from_row(row)

    async def settle(self, hold: Hold, release: LedgerEntry | None, event: DomainEvent) -> HoldMove:
        params: dict[str, Any] = {
            "hold_id": hold.id,
            "status": hold.status.value,
            "captured": hold.captured,
            "at": hold.updated_at,
            "released": 0 if release is None else release.money.amount,
            **self._event(event),
        }
        statement, errors = SETTLE_CAPTURING_ALL, {}
        if release is not None:
            statement, errors = SETTLE_RELEASING, append_errors(release)
            params |= _prefixed(entry_row(release), "t_")
        # A keyed settlement holds its key when it reaches the balance row; a conditional
        # write sent with the same key holds that row and waits on the key: the only cycle
        # a settle can close. PostgreSQL breaks it; this one is "in flight".
        row = await fetchrow(
            self._session,
            "hold_book.settle",
            statement,
            params,
            constraints=errors,
            sqlstates=SAME_KEY_DEADLOCK,
        )
        if row["moved"]:
            return HoldMove.MOVED
        return HoldMove.DUE if row["due"] else HoldMove.SETTLED

    async def page(
        self,
        user_id: str,
        status: HoldStatus | None,
        *,
        before: LedgerPosition | None,
        limit: int,
    ) -> list[Hold]:
        """Newest first through holds_user_id_created_at_id_idx."""
        statement, params = page_query(_h, user_id, status, before=before, limit=limit)
        rows = await self._session.execute(statement, params)
        return [hold_from_row(row._mapping) for row in rows]

    async def position(self, user_id: str, hold_id: UUID) -> LedgerPosition | None:
        statement, params = position_query(_h, user_id, hold_id)
        return position_of((await self._session.execute(statement, params)).first())

    async def claim_expired(self, *, limit: int) -> Sequence[Hold]:
        rows = await self._session.execute(_CLAIM_EXPIRED, {"limit": limit})
        claimed = [hold_from_row(row._mapping) for row in rows]
        # Balance rows are then updated in one global order: no two workers deadlock.
        return sorted(claimed, key=lambda h: (h.user_id, h.money.currency, h.id))
