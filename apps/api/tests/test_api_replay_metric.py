"""`wallet_idempotent_replays_total{status}`: a replayed reply is counted once per replay,
by the replayed status; a first reply is not (the Payments dashboard's replay panel)."""

from __future__ import annotations

from typing import Final

from prometheus_client import REGISTRY
from wallet_api_testkit import Api, new_key

REPLAYS: Final = "wallet_idempotent_replays_total"


def _replays(status: int) -> float:
    return REGISTRY.get_sample_value(REPLAYS, {"status": str(status)}) or 0.0


async def test_each_replay_is_counted_by_status_and_the_first_reply_is_not(api: Api) -> None:
    user_id = await api.funded_wallet(1000)
    key = new_key()
    approved_before, declined_before = _replays(201), _replays(402)

    first = await api.pay(user_id, 100, "bill-replayed", key=key)
    assert first.status_code == 201, first.text
    assert _replays(201) == approved_before

    for _ in range(2):
        again = await api.pay(user_id, 100, "bill-replayed", key=key)
        assert again.headers["Idempotent-Replayed"] == "true"
    declined_key = new_key()
    await api.pay(user_id, 100, "mock:declined:bill", key=declined_key)
    declined = await api.pay(user_id, 100, "mock:declined:bill", key=declined_key)
    assert declined.status_code == 402, declined.text

    assert _replays(201) == approved_before + 2
    assert _replays(402) == declined_before + 1
