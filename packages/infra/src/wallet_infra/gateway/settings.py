"""Gateway client limits. A plain model (not BaseSettings) so the app settings can nest it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class GatewaySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(default="http://127.0.0.1:8100", min_length=1)
    connect_timeout_s: float = Field(default=1.0, gt=0)
    attempt_timeout_s: float = Field(default=2.0, gt=0)  # read/write timeout of one attempt
    max_attempts: int = Field(default=3, ge=1)
    retry_budget_s: float = Field(default=5.0, gt=0)  # all attempts and backoffs of one call
    backoff_initial_s: float = Field(default=0.05, ge=0)
    backoff_max_s: float = Field(default=1.0, ge=0)
    backoff_jitter_s: float = Field(default=0.05, ge=0)
    lookup_attempts: int = Field(default=2, ge=1)
    max_concurrent: int = Field(default=100, ge=1)  # bulkhead: payments in flight at once
    max_connections: int = Field(default=200, ge=1)
    # Circuit breaker: consecutive failed/unknown calls that open it, and how long it stays
    # open before one half-open probe is let through.
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_recovery_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _backoff_bounds(self) -> GatewaySettings:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be >= backoff_initial_s")
        return self
