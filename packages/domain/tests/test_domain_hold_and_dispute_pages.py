"""Holds and disputes are listed as the history is: newest first by created_at, ties by
id, whatever order the ids were made in; a cursor from when they were listed by id alone
resumes after the item it names, or ends the walk if the wallet has no such item."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from wallet_domain.model.dispute import Dispute, DisputeStatus
from wallet_domain.model.hold import Hold, HoldStatus
from wallet_domain.model.pagination import LedgerPosition, Page, encode_cursor
from wallet_domain.money import Money
from wallet_domain.use_cases.list_disputes import ListDisputesRequest
from wallet_domain.use_cases.list_holds import ListHoldsRequest
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.world import World

MONEY = Money(10, "USD")


def _hold(world: World, user_id: str, at: datetime) -> UUID:
    hold = Hold(
        id=world.ids.new_id(),
        user_id=user_id,
        money=MONEY,
        status=HoldStatus.PENDING,
        expires_at=at + timedelta(days=1),
        created_at=at,
        updated_at=at,
    )
    world.db.committed.holds[hold.id] = hold
    return hold.id


def _dispute(world: World, user_id: str, at: datetime) -> UUID:
    dispute = Dispute(
        id=world.ids.new_id(),
        payment_id=world.ids.new_id(),
        user_id=user_id,
        money=MONEY,
        reason="not delivered",
        status=DisputeStatus.OPEN,
        evidence=(),
        created_at=at,
        updated_at=at,
    )
    world.db.committed.disputes[dispute.id] = dispute
    return dispute.id


async def _holds(world: World, **request: Any) -> Page[Any]:
    return await world.list_holds().execute(ListHoldsRequest(**request))


async def _disputes(world: World, **request: Any) -> Page[Any]:
    return await world.list_disputes().execute(ListDisputesRequest(**request))


Add = Callable[[World, str, datetime], UUID]
ListPage = Callable[..., Awaitable[Page[Any]]]
LISTS = pytest.mark.parametrize(("add", "page"), [(_hold, _holds), (_dispute, _disputes)])


def _out_of_id_order(world: World, add: Add, user_id: str = "alice") -> list[UUID]:
    """Four of the wallet's items whose created_at order differs from their id order (ids
    made before a slower request took its timestamp, or by another process): the oldest id
    is the newest, two share a timestamp. Their ids newest first, ties by id."""
    world.seed_wallet(user_id)
    ids = [add(world, user_id, EPOCH + timedelta(seconds=s)) for s in (3, 1, 1, 0)]
    return [ids[i] for i in (0, 2, 1, 3)]


def _v1_cursor(item_id: UUID) -> str:
    return base64.urlsafe_b64encode(b"v1:" + item_id.bytes).decode().rstrip("=")


def _position(item: Hold | Dispute) -> str:
    return encode_cursor(LedgerPosition.of(item))


@LISTS
async def test_pages_follow_created_at_not_id_order(world: World, add: Add, page: ListPage) -> None:
    expected = _out_of_id_order(world, add)
    seen: list[UUID] = []
    cursor: str | None = None
    while True:
        found = await page(world, user_id="alice", limit=1, cursor=cursor)
        seen += [item.id for item in found.items]
        if found.next_cursor is None:
            break
        assert found.next_cursor == _position(found.items[-1])
        cursor = found.next_cursor
    assert seen == expected


@LISTS
async def test_a_v1_cursor_resumes_after_the_item_it_names(
    world: World, add: Add, page: ListPage
) -> None:
    expected = _out_of_id_order(world, add)
    rest = await page(world, user_id="alice", limit=1, cursor=_v1_cursor(expected[1]))
    assert [item.id for item in rest.items] == expected[2:3]
    assert rest.next_cursor == _position(rest.items[-1])


@LISTS
async def test_a_v1_cursor_naming_no_item_of_the_wallet_ends_the_walk(
    world: World, add: Add, page: ListPage
) -> None:
    _out_of_id_order(world, add)
    bobs = _out_of_id_order(world, add, "bob")  # made after alice's: newer ids
    for stranger in (bobs[-1], UUID(int=1)):
        found = await page(world, user_id="alice", cursor=_v1_cursor(stranger))
        assert (found.items, found.next_cursor) == ([], None)
