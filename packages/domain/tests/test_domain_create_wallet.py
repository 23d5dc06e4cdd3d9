"""CreateWallet: one wallet per user_id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from wallet_domain.errors import ValidationError, WalletAlreadyExists
from wallet_domain.model.wallet import Wallet
from wallet_domain.use_cases.create_wallet import CreateWalletRequest
from wallet_testkit.fakes.world import World


async def test_creates_an_empty_wallet(world: World) -> None:
    scope = world.scope()

    wallet = await world.create_wallet(scope).execute(CreateWalletRequest(user_id="alice"))

    assert wallet == Wallet(user_id="alice", created_at=world.clock.now())
    assert world.db.committed.wallets == {"alice": wallet}
    assert world.db.committed.balances == {}
    assert world.db.committed.ledger == {}
    assert (scope.tx.commits, scope.tx.rollbacks) == (1, 0)


async def test_a_second_wallet_for_the_same_user_is_refused(world: World) -> None:
    await world.create_wallet().execute(CreateWalletRequest(user_id="alice"))
    first = world.db.committed.wallets["alice"]
    world.clock.advance(timedelta(hours=1))
    scope = world.scope()

    with pytest.raises(WalletAlreadyExists):
        await world.create_wallet(scope).execute(CreateWalletRequest(user_id="alice"))

    assert world.db.committed.wallets == {"alice": first}
    assert (scope.tx.commits, scope.tx.rollbacks) == (0, 1)


async def test_wallets_of_different_users_are_independent(world: World) -> None:
    for user in ("alice", "bob"):
        await world.create_wallet().execute(CreateWalletRequest(user_id=user))
    assert set(world.db.committed.wallets) == {"alice", "bob"}


@pytest.mark.parametrize("user_id", ["", "x" * 65, "bad id", "ünï"])
async def test_bad_user_id_is_refused_before_any_write(world: World, user_id: str) -> None:
    scope = world.scope()

    with pytest.raises(ValidationError) as caught:
        await world.create_wallet(scope).execute(CreateWalletRequest(user_id=user_id))

    assert caught.value.details == {"field": "user_id"}
    assert world.db.committed.wallets == {}
    assert not scope.tx.has_pending_writes


async def test_a_failed_commit_is_rolled_back(world: World) -> None:
    scope = world.scope()
    scope.tx.fail_next_commit = ConnectionError("db went away")

    with pytest.raises(ConnectionError):
        await world.create_wallet(scope).execute(CreateWalletRequest(user_id="alice"))

    assert scope.tx.rollbacks == 1
    assert world.db.committed.wallets == {}
