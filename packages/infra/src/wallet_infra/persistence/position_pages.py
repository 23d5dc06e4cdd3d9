"""A page of a wallet's holds or disputes, newest first by (created_at, id) as the
history's page (`ledger_queries`), and where one of them sits, for a cursor that names it
by id only.

The page is one range of the table's (user_id, created_at DESC, id DESC) index, read in
index order until the LIMIT: the row comparison `(created_at, id) < (:at, :id)` is what
the planner matches to that range (the same bound spelled out with OR is a filter).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Table, bindparam, select, tuple_
from wallet_domain.model.pagination import LedgerPosition


@cache
def _page(table: Table, bound: frozenset[str]) -> Select[Any]:
    """The statement for the binds in `bound`: one per table and combination, built once."""
    columns = table.c
    conditions = [columns.user_id == bindparam("uid")]
    if "before_at" in bound:
        position = tuple_(
            bindparam("before_at", type_=columns.created_at.type),
            bindparam("before_id", type_=columns.id.type),
        )
        conditions.append(tuple_(columns.created_at, columns.id) < position)
    if "status" in bound:
        conditions.append(columns.status == bindparam("status"))
    return (
        select(*columns)
        .where(*conditions)
        .order_by(columns.created_at.desc(), columns.id.desc())
        .limit(bindparam("limit"))
    )


def page_query(
    table: Table,
    user_id: str,
    status: StrEnum | None,
    *,
    before: LedgerPosition | None,
    limit: int,
) -> tuple[Select[Any], dict[str, Any]]:
    """Up to `limit` of the wallet's rows strictly before `before` (from the newest if
    None), only those in `status` if given: the statement and its values."""
    params: dict[str, Any] = {"uid": user_id, "limit": limit}
    if before is not None:
        params |= {"before_at": before.created_at, "before_id": before.id}
    if status is not None:
        params["status"] = status.value
    return _page(table, frozenset(params)), params


@cache
def _position(table: Table) -> Select[Any]:
    columns = table.c
    return select(columns.created_at, columns.id).where(
        columns.id == bindparam("iid"), columns.user_id == bindparam("uid")
    )


def position_query(table: Table, user_id: str, item_id: UUID) -> tuple[Select[Any], dict[str, Any]]:
    """The (created_at, id) of the wallet's row `item_id` (no row if it has none)."""
    return _position(table), {"iid": item_id, "uid": user_id}


def position_of(row: Any) -> LedgerPosition | None:
    """The position a `position_query` row holds (None for no row)."""
    return None if row is None else LedgerPosition(created_at=row.created_at, id=row.id)
