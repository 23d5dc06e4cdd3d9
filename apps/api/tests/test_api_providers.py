"""GET /providers."""

from __future__ import annotations

from wallet_api.schemas.providers import ProvidersOut
from wallet_api_testkit import INACTIVE_PROVIDER_ID, PROVIDER_ID, Api


async def test_lists_active_providers_only(api: Api) -> None:
    response = await api.client.get("/providers")
    assert response.status_code == 200
    body = ProvidersOut.model_validate_json(response.content)
    ids = {str(p.id) for p in body.items}
    assert PROVIDER_ID in ids
    assert INACTIVE_PROVIDER_ID not in ids
    assert all(set(item) == {"id", "name"} for item in response.json()["items"])
    names = [p.name for p in body.items]
    assert names == sorted(names)
