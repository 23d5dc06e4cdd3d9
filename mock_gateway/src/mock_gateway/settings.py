"""Start-up configuration, read from `MOCK_GATEWAY_*` environment variables."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mock_gateway.modes import RANDOM_CHOICES, Mode

# A development secret, also in .env.example for the wallet: never use it in production.
DEV_WEBHOOK_SECRET = "whsec_ZGV2LW9ubHktbW9jay13ZWJob29rLXNlY3JldA=="  # noqa: S105 - a published dev value

DEFAULT_WEIGHTS: dict[Mode, float] = {
    Mode.HAPPY: 70,
    Mode.DECLINED: 10,
    Mode.ERROR: 10,
    Mode.TIMEOUT: 5,
    Mode.CHARGED_TIMEOUT: 5,
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MOCK_GATEWAY_", frozen=True, populate_by_name=True
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=1, le=65535)
    mode: Mode = Mode.HAPPY
    latency_ms: int = Field(default=200, ge=0)
    seed: int = 0
    # Env form "happy=70,declined=10,..."; NoDecode keeps pydantic-settings from JSON-parsing it.
    weights: Annotated[dict[Mode, float], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS)
    )
    hang_s: float = Field(default=30.0, ge=0)
    # Where signed webhooks go (empty: none are sent) and the Standard Webhooks secret
    # (`whsec_<base64>`) they are signed with; the names match what a provider would ask.
    webhook_url: str = Field(default="", validation_alias="MOCK_WEBHOOK_URL")
    webhook_secret: str = Field(
        default=DEV_WEBHOOK_SECRET, validation_alias="MOCK_WEBHOOK_SECRET", repr=False
    )
    # `unknown` mode: how long after the charge the held-back payment.settled is sent.
    webhook_settle_delay_s: float = Field(default=2.0, ge=0)

    @field_validator("weights", mode="before")
    @classmethod
    def _parse_weights(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        parsed: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            name, sep, weight = item.partition("=")
            if not sep:
                raise ValueError(f"weight entry {item!r} is not name=number")
            parsed[name.strip()] = weight.strip()
        return parsed

    @field_validator("weights")
    @classmethod
    def _check_weights(cls, value: dict[Mode, float]) -> dict[Mode, float]:
        outside = set(value) - set(RANDOM_CHOICES)
        if outside:
            raise ValueError(f"random mode cannot pick {sorted(outside)}")
        if any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("weights must be non-negative with a positive total")
        return value
