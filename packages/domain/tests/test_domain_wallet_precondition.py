"""Writes made conditional on the wallet's version (If-Match), on the fakes: a stale
version writes nothing and keeps the key free, a held key is answered as usual."""

from __future__ import annotations

import pytest
from wallet_domain.errors import PreconditionFailed, WalletNotFound
from wallet_domain.model.transaction import TransactionType
from wallet_domain.model.wallet_version import WalletCondition
from wallet_domain.use_cases.deposit import DepositRequest
from wallet_domain.use_cases.get_balance import GetBalanceRequest
from wallet_domain.use_cases.make_transfer import MakeTransferRequest
from wallet_testkit.fakes.world import World


def _deposit(condition: WalletCondition | None, key: str = "dep-1") -> DepositRequest:
    return DepositRequest(
        user_id="alice", idempotency_key=key, amount=100, currency="USD", if_match=condition
    )


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice", USD=1_000)
    return world


async def _version(world: World) -> int:
    return (await world.get_balance().execute(GetBalanceRequest(user_id="alice"))).version


async def test_the_current_version_lets_the_write_through(alice: World) -> None:
    current = WalletCondition(frozenset({await _version(alice)}))
    reply = await alice.deposit().execute(_deposit(current))
    assert reply.response.status_code == 201
    assert await _version(alice) not in current.versions


async def test_a_stale_version_writes_nothing_and_keeps_the_key_free(alice: World) -> None:
    stale = WalletCondition(frozenset({await _version(alice) + 1}))
    with pytest.raises(PreconditionFailed) as caught:
        await alice.deposit().execute(_deposit(stale))
    assert caught.value.details == {"user_id": "alice"}
    assert len(alice.db.entries(type=TransactionType.DEPOSIT)) == 1  # the seed's
    assert alice.db.record("alice", "dep-1") is None
    assert (await alice.deposit().execute(_deposit(None))).response.status_code == 201


async def test_no_version_at_all_never_matches(alice: World) -> None:
    with pytest.raises(PreconditionFailed):
        await alice.deposit().execute(_deposit(WalletCondition(frozenset())))


async def test_a_key_already_answered_is_replayed_whatever_the_version(alice: World) -> None:
    first = await alice.deposit().execute(_deposit(None))
    stale = WalletCondition(frozenset({-1}))
    again = await alice.deposit().execute(_deposit(stale))
    assert again.replayed
    assert again.response == first.response


async def test_an_unknown_wallet_is_not_found_rather_than_a_failed_precondition(
    world: World,
) -> None:
    with pytest.raises(WalletNotFound):
        await world.make_transfer().execute(
            MakeTransferRequest(
                from_user_id="ghost",
                to_user_id="alice",
                idempotency_key="t-1",
                amount=1,
                currency="USD",
                if_match=WalletCondition(frozenset()),
            )
        )


async def test_a_debit_from_a_balance_row_the_pin_did_not_hold_is_a_precondition_failure(
    alice: World,
) -> None:
    """The row appeared after the lock (a first deposit in that currency, without a
    condition): the version checked had no such money."""
    scope = alice.scope()
    precondition = alice.precondition(scope)
    current = WalletCondition(frozenset({await _version(alice)}))
    pinned = await precondition.ensure(current, user_id="alice", key="pay-1")
    assert pinned is not None
    assert pinned.currencies == frozenset({"USD"})

    await precondition.debited(pinned, "USD")  # a row it holds: fine
    with pytest.raises(PreconditionFailed) as caught:
        await precondition.debited(pinned, "EUR")
    assert caught.value.details == {"user_id": "alice"}
    assert scope.tx.rollbacks == 1
