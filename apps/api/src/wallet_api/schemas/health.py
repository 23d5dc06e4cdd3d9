from __future__ import annotations

from pydantic import Field

from wallet_api.schemas.base import ResponseBody


class HealthOut(ResponseBody):
    status: str


class ReplicaOut(ResponseBody):
    """A read replica as the last background check found it (it never makes the API not
    ready: reads go to the primary while it is unfit)."""

    replica: str = Field(description="host:port")
    up: bool
    lag_ms: float | None = Field(description="null while down")
    in_use: bool = Field(description="up and within WALLET_REPLICA_MAX_LAG_MS: reads go there")


class ReadinessOut(ResponseBody):
    status: str
    checks: dict[str, str]
    replicas: list[ReplicaOut] = Field(description="empty without configured replicas")
