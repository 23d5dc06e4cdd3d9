from __future__ import annotations

from wallet_api.schemas.base import ResponseBody


class HealthOut(ResponseBody):
    status: str


class ReadinessOut(ResponseBody):
    status: str
    checks: dict[str, str]
