"""The ledger's statements and row mapping, shared by `SqlaLedger` and its plan tests."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, Final
from uuid import UUID

from sqlalchemy import ARRAY, any_, bindparam, func, literal_column, select, tuple_
from wallet_domain.model.pagination import LedgerFilter, LedgerPosition
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.money import Money

from wallet_infra.persistence.driver import DriverStatement
from wallet_infra.persistence.std_uuid import std_uuid
from wallet_infra.persistence.tables import StdUuid, transactions

_t = transactions
INSERT_ENTRY: Final = _t.insert()
GET_ENTRY: Final = DriverStatement(
    select(*_t.c).where(_t.c.id == bindparam("tid"), _t.c.user_id == bindparam("uid"))
)
# Oldest stale PENDING payment through transactions_pending_idx; SKIP LOCKED hands each
# one to exactly one of any number of recovery workers. `:skip` can hold thousands of ids
# (payments a worker waits to ask about again): NOT IN a subquery is a hashed subplan even
# in the generic plan asyncpg's prepared statement ends up with, where `<> ALL(:skip)`
# would compare every row scanned with every id.
CLAIM_STALE_PENDING: Final = (
    select(*_t.c)
    .where(
        _t.c.status == literal_column("'PENDING'"),
        _t.c.type == literal_column("'PAYMENT'"),
        _t.c.created_at < bindparam("cutoff"),
        _t.c.id.not_in(select(func.unnest(bindparam("skip", type_=ARRAY(StdUuid))))),
    )
    .order_by(_t.c.created_at)
    .limit(1)
    .with_for_update(skip_locked=True)
)
# The same for one payment (reconciliation settles the stale payments it found).
CLAIM_STALE_PENDING_ONE: Final = CLAIM_STALE_PENDING.where(_t.c.id == bindparam("only"))
# Which of `:ids` are PENDING payments still: one primary-key probe each, no lock.
STILL_PENDING: Final = select(_t.c.id).where(
    _t.c.id == any_(bindparam("ids", type_=ARRAY(StdUuid))),
    _t.c.status == literal_column("'PENDING'"),
    _t.c.type == literal_column("'PAYMENT'"),
)


# The page's optional equality filters, each on when its bind has a value.
_PAGE_FILTERS: Final = {"type": _t.c.type, "status": _t.c.status, "currency": _t.c.currency}


@cache
def _page(bound: frozenset[str]) -> DriverStatement:
    """Newest first by (created_at, id), strictly after (`:before_at`, `:before_id`) when
    bound: one range of transactions_user_id_created_at_id_idx, read in index order until
    `:limit`, with the filters whose binds are in `bound`. One statement per combination,
    compiled once."""
    conditions = [_t.c.user_id == bindparam("uid")]
    if "before_at" in bound:
        position = tuple_(
            bindparam("before_at", type_=_t.c.created_at.type),
            bindparam("before_id", type_=_t.c.id.type),
        )
        conditions.append(tuple_(_t.c.created_at, _t.c.id) < position)
    conditions += [
        column == bindparam(name) for name, column in _PAGE_FILTERS.items() if name in bound
    ]
    return DriverStatement(
        select(*_t.c)
        .where(*conditions)
        .order_by(_t.c.created_at.desc(), _t.c.id.desc())
        .limit(bindparam("limit"))
    )


def page_query(
    user_id: str, filters: LedgerFilter, *, before: LedgerPosition | None, limit: int
) -> tuple[DriverStatement, dict[str, Any]]:
    """The page's statement and its values; which statement follows from which values
    there are."""
    params: dict[str, Any] = {"uid": user_id, "limit": limit}
    if before is not None:
        params |= {"before_at": before.created_at, "before_id": before.id}
    optional = {
        "type": None if filters.type is None else filters.type.value,
        "status": None if filters.status is None else filters.status.value,
        "currency": filters.currency,
    }
    params |= {name: value for name, value in optional.items() if value is not None}
    return _page(frozenset(params)), params


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
        "provider_refund_of": entry.refund_of if by_provider else None,
        "dispute_id": entry.dispute_id,
    }


def entry_from_row(row: Mapping[Any, Any]) -> LedgerEntry:
    """A `transactions` row as a ledger entry (the amount's sign is the type's): a
    SQLAlchemy row's `_mapping` or an asyncpg record, whose uuid type orjson refuses,
    hence the stdlib one."""
    refund_of = row["refund_of"] or row["provider_refund_of"]
    return LedgerEntry(
        id=std_uuid(row["id"]),
        user_id=row["user_id"],
        type=_TYPES[row["type"]],
        status=_STATUSES[row["status"]],
        money=Money(abs(row["amount"]), row["currency"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        provider_id=_std(row["provider_id"]),
        external_reference=row["external_reference"],
        reference=row["reference"],
        refund_of=_std(refund_of),
        hold_id=_std(row["hold_id"]),
        transfer_id=_std(row["transfer_id"]),
        dispute_id=_std(row["dispute_id"]),
    )


def _std(value: UUID | None) -> UUID | None:
    return None if value is None else std_uuid(value)


# By stored value: a dict lookup instead of the enum's own (several times slower), once per
# field per row of every page.
_TYPES: Final = {member.value: member for member in TransactionType}
_STATUSES: Final = {member.value: member for member in TransactionStatus}
