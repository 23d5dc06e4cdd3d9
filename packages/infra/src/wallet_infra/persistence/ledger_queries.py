"""The ledger's statements and row mapping, shared by `SqlaLedger` and its plan tests."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ARRAY, Row, Select, all_, bindparam, literal, literal_column, select, tuple_
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.money import Money

from wallet_infra.persistence.tables import StdUuid, transactions

_t = transactions
INSERT_ENTRY: Final = _t.insert()
GET_ENTRY: Final = select(*_t.c).where(
    _t.c.id == bindparam("tid"), _t.c.user_id == bindparam("uid")
)
# Oldest stale PENDING payment through transactions_pending_idx; SKIP LOCKED hands each
# one to exactly one of any number of recovery workers.
CLAIM_STALE_PENDING: Final = (
    select(*_t.c)
    .where(
        _t.c.status == literal_column("'PENDING'"),
        _t.c.type == literal_column("'PAYMENT'"),
        _t.c.created_at < bindparam("cutoff"),
        _t.c.id != all_(bindparam("skip", type_=ARRAY(StdUuid))),
    )
    .order_by(_t.c.created_at)
    .limit(1)
    .with_for_update(skip_locked=True)
)


def page_statement(
    user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
) -> Select[Any]:
    """Newest first by (created_at, id), strictly after `before` in that order: one range
    of transactions_user_id_created_at_id_idx, read in index order until `limit`."""
    conditions = [_t.c.user_id == user_id]
    if before is not None:
        position = tuple_(
            literal(before.created_at, _t.c.created_at.type), literal(before.id, _t.c.id.type)
        )
        conditions.append(tuple_(_t.c.created_at, _t.c.id) < position)
    if filters.type is not None:
        conditions.append(_t.c.type == filters.type.value)
    if filters.status is not None:
        conditions.append(_t.c.status == filters.status.value)
    if filters.currency is not None:
        conditions.append(_t.c.currency == filters.currency)
    return (
        select(*_t.c)
        .where(*conditions)
        .order_by(_t.c.created_at.desc(), _t.c.id.desc())
        .limit(limit)
    )


def entry_row(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as `transactions` column values (the amount signed by its type).

    A provider refund's payment goes to `provider_refund_of`, a compensation's to
    `refund_of` (unique: a payment is compensated once, but refunded by its provider
    possibly several times); the domain calls both `refund_of`."""
    by_provider = entry.type is TransactionType.PROVIDER_REFUND
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "type": entry.type.value,
        "status": entry.status.value,
        "amount": entry.signed_amount,
        "currency": entry.money.currency,
        "provider_id": entry.provider_id,
        "external_reference": entry.external_reference,
        "reference": entry.reference,
        "refund_of": None if by_provider else entry.refund_of,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "hold_id": entry.hold_id,
        "transfer_id": entry.transfer_id,
        "refunded_amount": 0,
        "provider_refund_of": entry.refund_of if by_provider else None,
    }


def entry_from_row(row: Row[Any]) -> LedgerEntry:
    """A `transactions` row as a ledger entry (the amount's sign is the type's)."""
    return LedgerEntry(
        id=row.id,
        user_id=row.user_id,
        type=TransactionType(row.type),
        status=TransactionStatus(row.status),
        money=Money(abs(row.amount), row.currency),
        created_at=row.created_at,
        updated_at=row.updated_at,
        provider_id=row.provider_id,
        external_reference=row.external_reference,
        reference=row.reference,
        refund_of=row.refund_of or row.provider_refund_of,
        hold_id=row.hold_id,
        transfer_id=row.transfer_id,
    )
