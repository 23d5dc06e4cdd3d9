"""Read-side use cases: balances, transaction history, one payment, providers."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from wallet_domain.errors import PaymentNotFound, ValidationError, WalletNotFound
from wallet_domain.model.pagination import LedgerPosition, decode_cursor, encode_cursor
from wallet_domain.model.transaction import LedgerEntry, TransactionStatus, TransactionType
from wallet_domain.model.wallet import Balance, Wallet
from wallet_domain.ports.payment_gateway import ChargeStatus, LookupStatus
from wallet_domain.ports.wallets import Wallets
from wallet_domain.use_cases.get_balance import GetBalanceRequest
from wallet_domain.use_cases.get_payment import GetPaymentRequest
from wallet_domain.use_cases.list_transactions import ListTransactionsRequest
from wallet_testkit.fakes.clock import EPOCH
from wallet_testkit.fakes.world import PROVIDER, RETIRED, WATER, Scope, World, bill_payment


async def _pay(world: World, key: str, amount: int, currency: str = "USD") -> None:
    await world.pay().execute(bill_payment(key, amount, currency))


@pytest.fixture
async def history(world: World) -> World:
    """alice: USD and EUR deposits, an approved, a declined and a pending USD payment."""
    world.seed_wallet("alice", USD=10_000, EUR=500)
    world.gateway.script(
        charges=[ChargeStatus.APPROVED, ChargeStatus.DECLINED, ChargeStatus.UNKNOWN],
        lookups=[LookupStatus.UNKNOWN],
    )
    await _pay(world, "p1", 1_000)
    await _pay(world, "p2", 2_000)
    await _pay(world, "p3", 3_000)
    return world


def _newest_first(world: World, **where: Any) -> list[LedgerEntry]:
    return sorted(
        (
            e
            for e in world.db.entries(user_id="alice")
            if all(getattr(e, k) == v for k, v in where.items())
        ),
        key=lambda e: (e.created_at, e.id),
        reverse=True,
    )


# --------------------------------------------------------------------------- balance


async def test_balance_lists_every_currency_with_pending(history: World) -> None:
    balances = (await history.get_balance().execute(GetBalanceRequest(user_id="alice"))).balances
    assert balances == [
        Balance(currency="EUR", available=500, pending=0),
        Balance(currency="USD", available=6_000, pending=3_000),
    ]


async def test_balance_filtered_by_currency(history: World) -> None:
    balances = (
        await history.get_balance().execute(GetBalanceRequest(user_id="alice", currency="USD"))
    ).balances
    assert balances == [Balance(currency="USD", available=6_000, pending=3_000)]


async def test_a_currency_never_held_reads_as_zero(history: World) -> None:
    balances = (
        await history.get_balance().execute(GetBalanceRequest(user_id="alice", currency="JPY"))
    ).balances
    assert balances == [Balance(currency="JPY", available=0, pending=0)]


async def test_a_new_wallet_holds_nothing(world: World) -> None:
    world.seed_wallet("bob")
    assert (await world.get_balance().execute(GetBalanceRequest(user_id="bob"))).balances == []


async def test_balance_of_an_unknown_wallet_is_not_found(world: World) -> None:
    with pytest.raises(WalletNotFound) as caught:
        await world.get_balance().execute(GetBalanceRequest(user_id="ghost", currency="USD"))
    assert caught.value.details == {"user_id": "ghost"}


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (GetBalanceRequest(user_id="alice", currency="CHF"), "currency"),
        (GetBalanceRequest(user_id="alice", currency="usd"), "currency"),
        (GetBalanceRequest(user_id="bad id"), "user_id"),
    ],
)
async def test_balance_input_is_validated(
    history: World, request_: GetBalanceRequest, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await history.get_balance().execute(request_)
    assert caught.value.details["field"] == field


# --------------------------------------------------------------------------- transactions


async def test_pages_walk_the_whole_ledger_newest_first(history: World) -> None:
    expected = _newest_first(history)
    assert len(expected) == 6  # 2 deposits, 3 payments, the declined one's refund
    seen: list[LedgerEntry] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await history.list_transactions().execute(
            ListTransactionsRequest(user_id="alice", limit=4, cursor=cursor)
        )
        pages += 1
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        assert decode_cursor(page.next_cursor) == LedgerPosition.of(page.items[-1])
        cursor = page.next_cursor
    assert seen == expected
    assert pages == 2


async def test_exactly_full_last_page_has_no_cursor(history: World) -> None:
    everything = len(_newest_first(history))
    page = await history.list_transactions().execute(
        ListTransactionsRequest(user_id="alice", limit=everything)
    )
    assert len(page.items) == everything
    assert page.next_cursor is None


async def test_default_page_is_fifty(world: World) -> None:
    world.seed_wallet("alice", **{c: 1 for c in ("USD", "EUR", "GBP")})
    page = await world.list_transactions().execute(ListTransactionsRequest(user_id="alice"))
    assert (len(page.items), page.next_cursor) == (3, None)


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        ({"type": "PAYMENT"}, {"type": TransactionType.PAYMENT}),
        ({"type": "REFUND"}, {"type": TransactionType.REFUND}),
        ({"status": "PENDING"}, {"status": TransactionStatus.PENDING}),
        ({"status": "DECLINED"}, {"status": TransactionStatus.DECLINED}),
        (
            {"type": "DEPOSIT", "currency": "EUR"},
            {"type": TransactionType.DEPOSIT},
        ),
    ],
)
async def test_filters(history: World, filters: dict[str, Any], where: dict[str, Any]) -> None:
    page = await history.list_transactions().execute(
        ListTransactionsRequest(user_id="alice", **filters)
    )
    expected = [
        e
        for e in _newest_first(history, **where)
        if "currency" not in filters or e.money.currency == filters["currency"]
    ]
    assert expected
    assert page.items == expected


async def test_filtered_pagination_keeps_the_filter(history: World) -> None:
    request = ListTransactionsRequest(user_id="alice", limit=2, type="PAYMENT")
    first = await history.list_transactions().execute(request)
    assert first.next_cursor is not None
    second = await history.list_transactions().execute(
        ListTransactionsRequest(user_id="alice", limit=2, type="PAYMENT", cursor=first.next_cursor)
    )
    assert [e.type for e in first.items + second.items] == [TransactionType.PAYMENT] * 3
    assert second.next_cursor is None


def _clocks_disagree_with_ids(world: World) -> list[LedgerEntry]:
    """alice's entries re-timed so that created_at order differs from id order (ids made
    before a slower request took its timestamp, or by another process): newest first."""
    world.seed_wallet("alice", USD=1, EUR=2, GBP=3, JPY=4)
    ledger = world.db.committed.ledger
    by_id = sorted(world.db.entries(user_id="alice"), key=lambda e: e.id)
    offsets = [3, 1, 1, 0]  # seconds: the oldest id is the newest; two share a timestamp
    for entry, seconds in zip(by_id, offsets, strict=True):
        at = EPOCH + timedelta(seconds=seconds)
        ledger[entry.id] = replace(entry, created_at=at, updated_at=at)
    expected = [ledger[by_id[i].id] for i in (0, 2, 1, 3)]  # ties by id, descending
    assert [e.id for e in expected] != sorted((e.id for e in expected), reverse=True)
    return expected


async def test_pages_follow_created_at_not_id_order(world: World) -> None:
    expected = _clocks_disagree_with_ids(world)
    seen: list[LedgerEntry] = []
    cursor: str | None = None
    while True:
        page = await world.list_transactions().execute(
            ListTransactionsRequest(user_id="alice", limit=1, cursor=cursor)
        )
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def _v1_cursor(entry_id: UUID) -> str:
    return base64.urlsafe_b64encode(b"v1:" + entry_id.bytes).decode().rstrip("=")


async def test_a_v1_cursor_resumes_after_the_entry_it_names(world: World) -> None:
    expected = _clocks_disagree_with_ids(world)
    page = await world.list_transactions().execute(
        ListTransactionsRequest(user_id="alice", cursor=_v1_cursor(expected[1].id))
    )
    assert page.items == expected[2:]
    assert page.next_cursor is None


async def test_a_v1_cursor_naming_no_entry_of_the_wallet_ends_the_walk(world: World) -> None:
    _clocks_disagree_with_ids(world)
    world.seed_wallet("bob", USD=1)
    for stranger in (UUID(int=1), world.db.entries(user_id="bob")[0].id):
        page = await world.list_transactions().execute(
            ListTransactionsRequest(user_id="alice", cursor=_v1_cursor(stranger))
        )
        assert (page.items, page.next_cursor) == ([], None)


async def test_history_is_per_wallet(history: World) -> None:
    history.seed_wallet("bob", USD=1)
    page = await history.list_transactions().execute(ListTransactionsRequest(user_id="bob"))
    assert [e.user_id for e in page.items] == ["bob"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"cursor": "garbage!"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"type": "payment"}, "type"),
        ({"type": "WITHDRAWAL"}, "type"),
        ({"status": "DONE"}, "status"),
        ({"currency": "CHF"}, "currency"),
        ({"user_id": "no spaces"}, "user_id"),
    ],
)
async def test_list_input_is_validated(history: World, change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        await history.list_transactions().execute(
            ListTransactionsRequest(**{"user_id": "alice", **change})
        )
    assert caught.value.details["field"] == field


async def test_bad_enum_error_lists_the_allowed_values(history: World) -> None:
    with pytest.raises(ValidationError) as caught:
        await history.list_transactions().execute(
            ListTransactionsRequest(user_id="alice", status="nope")
        )
    assert "PENDING, APPROVED, DECLINED, FAILED, COMPLETED" in caught.value.message


async def test_history_of_an_unknown_wallet_is_not_found(world: World) -> None:
    with pytest.raises(WalletNotFound):
        await world.list_transactions().execute(
            ListTransactionsRequest(
                user_id="ghost",
                cursor=encode_cursor(LedgerPosition(created_at=EPOCH, id=UUID(int=1))),
            )
        )


# --------------------------------------------------------------------------- one payment


async def test_get_payment_returns_its_current_status(history: World) -> None:
    for payment in history.db.entries(type=TransactionType.PAYMENT):
        found = await history.get_payment().execute(
            GetPaymentRequest(user_id="alice", payment_id=payment.id)
        )
        assert found == payment
    statuses = {p.status for p in history.db.entries(type=TransactionType.PAYMENT)}
    assert statuses == {
        TransactionStatus.APPROVED,
        TransactionStatus.DECLINED,
        TransactionStatus.PENDING,
    }


async def test_another_users_payment_is_not_found(history: World) -> None:
    history.seed_wallet("mallory")
    payment = history.db.entries(type=TransactionType.PAYMENT)[0]
    with pytest.raises(PaymentNotFound) as caught:
        await history.get_payment().execute(
            GetPaymentRequest(user_id="mallory", payment_id=payment.id)
        )
    assert caught.value.details == {"payment_id": str(payment.id)}


@pytest.mark.parametrize("kind", [TransactionType.DEPOSIT, TransactionType.REFUND])
async def test_an_id_that_is_not_a_payment_is_not_found(
    history: World, kind: TransactionType
) -> None:
    entry = history.db.entries(type=kind)[0]
    with pytest.raises(PaymentNotFound):
        await history.get_payment().execute(GetPaymentRequest(user_id="alice", payment_id=entry.id))


async def test_an_unknown_payment_id_is_not_found(history: World) -> None:
    with pytest.raises(PaymentNotFound):
        await history.get_payment().execute(
            GetPaymentRequest(user_id="alice", payment_id=UUID(int=12345))
        )


async def test_get_payment_validates_the_user_id(world: World) -> None:
    with pytest.raises(ValidationError):
        await world.get_payment().execute(GetPaymentRequest(user_id="", payment_id=UUID(int=1)))


# --------------------------------------------------------------------------- reads it takes


class _CountedWallets:
    """The scope's wallets, counting lookups: what a read costs beyond its own query."""

    def __init__(self, wallets: Wallets) -> None:
        self._wallets = wallets
        self.lookups = 0

    async def get(self, user_id: str) -> Wallet | None:
        self.lookups += 1
        return await self._wallets.get(user_id)


def _counted(world: World) -> tuple[Scope, _CountedWallets]:
    """A request scope whose wallet lookups are counted."""
    scope = world.scope()
    counted = scope.wallets = _CountedWallets(scope.wallets)  # type: ignore[assignment]
    return scope, counted


async def _balance_lookups(world: World, request: GetBalanceRequest) -> int:
    scope, wallets = _counted(world)
    await world.get_balance(scope).execute(request)
    return wallets.lookups


async def _page_lookups(world: World, request: ListTransactionsRequest) -> int:
    scope, wallets = _counted(world)
    await world.list_transactions(scope).execute(request)
    return wallets.lookups


async def test_balance_of_a_wallet_holding_money_asks_nothing_more(history: World) -> None:
    assert await _balance_lookups(history, GetBalanceRequest(user_id="alice")) == 0
    assert await _balance_lookups(history, GetBalanceRequest(user_id="alice", currency="EUR")) == 0


async def test_an_empty_balance_asks_whether_the_wallet_exists(history: World) -> None:
    history.seed_wallet("bob")
    assert await _balance_lookups(history, GetBalanceRequest(user_id="bob")) == 1
    assert await _balance_lookups(history, GetBalanceRequest(user_id="alice", currency="JPY")) == 1


async def test_a_page_with_entries_asks_nothing_more(history: World) -> None:
    assert await _page_lookups(history, ListTransactionsRequest(user_id="alice", limit=2)) == 0


async def test_an_empty_page_asks_whether_the_wallet_exists(history: World) -> None:
    empty = ListTransactionsRequest(user_id="alice", currency="JPY")
    assert await _page_lookups(history, empty) == 1
    with pytest.raises(WalletNotFound):
        await history.list_transactions().execute(ListTransactionsRequest(user_id="ghost"))


async def test_an_unknown_entry_cursor_of_an_unknown_wallet_is_not_found(world: World) -> None:
    with pytest.raises(WalletNotFound):
        await world.list_transactions().execute(
            ListTransactionsRequest(user_id="ghost", cursor=_v1_cursor(UUID(int=7)))
        )


# --------------------------------------------------------------------------- providers


async def test_only_active_providers_are_listed(world: World) -> None:
    providers = await world.list_providers().execute()
    assert providers == [WATER, PROVIDER]
    assert RETIRED not in providers
