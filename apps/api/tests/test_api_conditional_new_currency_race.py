"""If-Match promises that the check and the write are one unit: the write applies to the
wallet version the client named, or nothing happens. A balance row CREATED by a write
without a condition (a first deposit in a currency the wallet never held) can commit
between the version check, which locks only the rows that exist, and the conditional
write: the write must not spend it (a payment "only if my wallet is still at v1", where
v1 had no EUR at all, paid out of EUR that arrived after v1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_api_testkit import PROVIDER_ID, Api, StartApi, new_key, wallet_etag
from wallet_domain.model.wallet_version import PinnedWallet
from wallet_domain.ports.wallet_versions import WalletVersions
from wallet_infra.persistence import SqlaWalletVersions

# Run once, right after the wallet's version was read and its rows locked.
AFTER_LOCK: list[Callable[[], Awaitable[Any]]] = []


class _VersionsThenSomeoneElse(SqlaWalletVersions):
    async def lock(
        self, user_id: str, *, receiver: tuple[str, str] | None = None
    ) -> PinnedWallet | None:
        pinned = await super().lock(user_id, receiver=receiver)
        while AFTER_LOCK:
            await AFTER_LOCK.pop()()
        return pinned


class _Versions(Provider):
    scope = Scope.REQUEST

    @provide
    def versions(self, session: AsyncSession) -> WalletVersions:
        return _VersionsThenSomeoneElse(session=session)


async def _spend_eur(api: Api, write: str, user_id: str, headers: dict[str, str]) -> Any:
    eur = {"amount": 100, "currency": "EUR"}
    if write == "payment":
        body = {"provider_id": PROVIDER_ID, "external_reference": "bill", **eur}
        return await api.client.post(f"/wallets/{user_id}/payments", json=body, headers=headers)
    if write == "hold":
        return await api.client.post(f"/wallets/{user_id}/holds", json=eur, headers=headers)
    receiver = await api.create_wallet()
    body = {"from_user_id": user_id, "to_user_id": receiver, **eur}
    return await api.client.post("/transfers", json=body, headers=headers)


@pytest.mark.parametrize("write", ["payment", "hold", "transfer"])
async def test_a_conditional_write_never_spends_a_balance_created_after_its_etag(
    start_api: StartApi, write: str
) -> None:
    async with start_api(extra_providers=(_Versions(),)) as api:
        user_id = await api.funded_wallet(1_000)  # USD only: the wallet never held EUR
        etag = await wallet_etag(api, user_id)

        async def someone_deposits_eur() -> None:
            deposited = await api.deposit(user_id, 500, "EUR")
            assert deposited.status_code == 201, deposited.text

        AFTER_LOCK.append(someone_deposits_eur)
        spent = await _spend_eur(
            api, write, user_id, {"Idempotency-Key": new_key(), "If-Match": etag}
        )

        assert not AFTER_LOCK
        assert etag != await wallet_etag(api, user_id)  # the deposit changed the wallet
        # At `etag` the wallet had no EUR: refused for funds (409) at that version, or 412
        # because it changed; never paid out of money the client's version did not hold.
        assert spent.status_code in (409, 412), spent.text
        eur = (await api.balances(user_id))["EUR"]
        assert (eur["available"], eur.get("pending_debit", 0)) == (500, 0)
