"""Two-phase deposits and the wallet view: pending credit is not spendable until completed."""

from __future__ import annotations

from uuid import UUID

import pytest
from wallet_domain.errors import DepositNotFound, InvalidState, ValidationError
from wallet_domain.model.transaction import TransactionStatus
from wallet_domain.model.wallet import Balance
from wallet_domain.money import MAX_AMOUNT
from wallet_domain.use_cases.create_hold import CreateHoldRequest
from wallet_domain.use_cases.deposit import DepositRequest
from wallet_domain.use_cases.get_wallet import GetWalletRequest
from wallet_domain.use_cases.settle_deposit import SettleDepositRequest
from wallet_testkit.fakes.response_encoder import body
from wallet_testkit.fakes.store import assert_money_invariants
from wallet_testkit.fakes.world import World


@pytest.fixture
def alice(world: World) -> World:
    world.seed_wallet("alice", USD=100)
    return world


async def _pending(world: World, amount: int = 500, key: str = "d-1") -> UUID:
    reply = await world.deposit().execute(
        DepositRequest(
            user_id="alice", idempotency_key=key, amount=amount, currency="USD", two_phase=True
        )
    )
    assert reply.response.status_code == 201
    assert body(reply.response)["status"] == "PENDING"
    return UUID(body(reply.response)["id"])


async def _usd(world: World) -> Balance:
    view = await world.get_wallet().execute(GetWalletRequest(user_id="alice"))
    [balance] = view.balances
    return balance


async def test_a_pending_deposit_shows_as_pending_credit_and_is_not_spendable(
    alice: World,
) -> None:
    deposit_id = await _pending(alice)

    balance = await _usd(alice)
    assert (balance.available, balance.pending_debit, balance.pending_credit) == (100, 0, 500)
    assert balance.total == 100
    assert alice.db.event_types(deposit_id) == ["deposit.pending"]
    with pytest.raises(Exception, match="insufficient"):
        await alice.create_hold().execute(
            CreateHoldRequest(user_id="alice", idempotency_key="h", amount=101, currency="USD")
        )
    assert_money_invariants(alice.db)


async def test_complete_makes_it_available_once(alice: World) -> None:
    deposit_id = await _pending(alice)
    request = SettleDepositRequest(
        to=TransactionStatus.COMPLETED, user_id="alice", deposit_id=deposit_id
    )

    reply = await alice.settle_deposit().execute(request)
    again = await alice.settle_deposit().execute(request)

    assert (reply.response.status_code, body(reply.response)["status"]) == (200, "COMPLETED")
    assert again.response == reply.response
    balance = await _usd(alice)
    assert (balance.available, balance.pending_credit) == (600, 0)
    assert alice.db.event_types(deposit_id) == ["deposit.pending", "deposit.completed"]
    with pytest.raises(InvalidState) as revert:
        await alice.settle_deposit().execute(
            SettleDepositRequest(
                to=TransactionStatus.REVERTED, user_id="alice", deposit_id=deposit_id
            )
        )
    assert revert.value.details == {"status": "COMPLETED"}
    assert_money_invariants(alice.db)


async def test_revert_drops_it(alice: World) -> None:
    deposit_id = await _pending(alice)
    await alice.settle_deposit().execute(
        SettleDepositRequest(
            to=TransactionStatus.REVERTED,
            user_id="alice",
            deposit_id=deposit_id,
        )
    )

    balance = await _usd(alice)
    assert (balance.available, balance.pending_credit) == (100, 0)
    [entry] = [e for e in alice.db.entries(user_id="alice") if e.id == deposit_id]
    assert entry.status is TransactionStatus.REVERTED
    assert alice.db.event_types(deposit_id) == ["deposit.pending", "deposit.reverted"]
    assert_money_invariants(alice.db)


async def test_another_wallets_deposit_is_not_found(alice: World) -> None:
    alice.seed_wallet("bob")
    deposit_id = await _pending(alice)
    with pytest.raises(DepositNotFound):
        await alice.settle_deposit().execute(
            SettleDepositRequest(
                to=TransactionStatus.COMPLETED, user_id="bob", deposit_id=deposit_id
            )
        )


async def test_a_pending_deposit_that_would_not_fit_once_completed_is_refused(
    alice: World,
) -> None:
    await _pending(alice, MAX_AMOUNT - 100)
    with pytest.raises(ValidationError):
        await _pending(alice, 1, key="d-2")


async def test_one_phase_fingerprints_are_unchanged_by_the_two_phase_flag(alice: World) -> None:
    await alice.deposit().execute(
        DepositRequest(user_id="alice", idempotency_key="k", amount=5, currency="USD")
    )
    with pytest.raises(Exception, match="Idempotency-Key"):
        await _pending(alice, 5, key="k")
