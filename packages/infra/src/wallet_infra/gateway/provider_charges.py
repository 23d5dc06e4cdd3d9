"""`ProviderCharges` over the provider's HTTP API (the mock gateway's `GET /payments`).

Pages are fetched one at a time, so memory holds one page whatever the window. Each call
is retried with stamina on timeouts, connection errors and 5xx, like the charge calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import httpx
import stamina
from wallet_domain.model.reconciliation import ProviderCharge
from wallet_domain.ports.provider_charges import ProviderCharges

PAGE: Final = 500
_RETRY_ON: Final = (httpx.TimeoutException, httpx.TransportError)


class HttpxProviderCharges(ProviderCharges):
    def __init__(self, *, client: httpx.AsyncClient, page_size: int = PAGE) -> None:
        self._client = client
        self._page_size = page_size

    async def charges(self, since: datetime, until: datetime) -> AsyncIterator[ProviderCharge]:
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {
                "since": since.isoformat(),
                "until": until.isoformat(),
                "limit": self._page_size,
            }
            if cursor is not None:
                params["cursor"] = cursor
            page = await self._get_json("/payments", params)
            for item in page["items"]:
                yield _charge(item)
            cursor = page.get("next_cursor")
            if cursor is None:
                return

    async def was_charged(self, payment_id: UUID) -> bool | None:
        response = await self._get(f"/payments/{payment_id}", {})
        if response.status_code == 404:
            return False
        if response.status_code == 503:
            return None  # the provider cannot tell yet
        response.raise_for_status()
        status: str = response.json()["status"]
        return status == "approved"

    async def _get_json(self, path: str, params: dict[str, Any]) -> Any:
        response = await self._get(path, params)
        response.raise_for_status()
        return response.json()

    async def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        async for attempt in stamina.retry_context(on=_retryable, attempts=5, timeout=30.0):
            with attempt:
                response = await self._client.get(path, params=params)
                if response.status_code >= 500 and response.status_code != 503:
                    response.raise_for_status()
                return response
        raise AssertionError("unreachable: stamina re-raises the last failure")


def _retryable(error: Exception) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code >= 500
    return isinstance(error, _RETRY_ON)


def _charge(item: dict[str, Any]) -> ProviderCharge:
    return ProviderCharge(
        payment_id=UUID(item["payment_id"]),
        amount=int(item["amount"]),
        currency=str(item["currency"]),
        charged_at=datetime.fromisoformat(item["charged_at"]),
        refunded_amount=int(item.get("refunded_amount") or 0),
    )
