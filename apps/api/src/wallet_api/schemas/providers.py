from __future__ import annotations

from uuid import UUID

from wallet_api.schemas.base import ResponseBody


class ProviderOut(ResponseBody):
    id: UUID
    name: str


class ProvidersOut(ResponseBody):
    items: list[ProviderOut]
