"""Process settings (§9, §12): `WALLET_*` env vars over an optional YAML file over defaults.

One flat model shared by every app, so `WALLET_GATEWAY_URL` and friends read the same
everywhere; nested pieces (GatewaySettings) are composed from the flat fields.
Validation fails at start-up, never mid-request, and error messages never echo input
(keys and DSNs are secrets).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)
from wallet_domain.money import DEFAULT_CURRENCIES
from wallet_domain.use_cases.purge_consumer_inbox import MIN_RETENTION

from wallet_infra.config.api_keys import DEV_API_KEY, ApiKey, parse_api_keys
from wallet_infra.config.lists import parse_currencies
from wallet_infra.consuming.inbox_purge import PURGE_BATCH
from wallet_infra.gateway.settings import GatewaySettings

CONFIG_FILE_ENV: Final = "WALLET_CONFIG_FILE"
_GW: Final = GatewaySettings()
_MIN_INBOX_RETENTION_H: Final = int(MIN_RETENTION.total_seconds()) // 3600

LogFormat = Literal["json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WALLET_", frozen=True, extra="forbid", hide_input_in_errors=True
    )

    database_url: str = Field("postgresql://wallet:wallet@localhost:5432/wallet", repr=False)
    # Per process. Statements are short, so a few connections keep PostgreSQL busy; more
    # only queue inside it (measured on 2 cores: 20+10 per API worker gave ~11% fewer
    # payments/s than 8+0). No overflow by default: an overflow connection is closed as
    # soon as it is returned, so a sustained burst opens and closes one per statement.
    db_pool_size: int = Field(8, ge=1)
    db_max_overflow: int = Field(0, ge=0)
    db_statement_timeout_ms: int | None = Field(None, ge=1)
    amqp_url: str = Field("amqp://guest:guest@localhost:5672/", repr=False)
    # Event consumers (§8, §12): where each serves its HTTP probes, and how many
    # unacknowledged deliveries each instance works on at once.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(9100, ge=1, le=65535)
    audit_host: str = "127.0.0.1"
    audit_port: int = Field(9101, ge=1, le=65535)
    consumer_prefetch: int = Field(50, ge=1, le=65535)
    # The metrics consumer's inbox (event_ids already counted) keeps each record this long,
    # then forgets it, checking every interval. A redelivery after that is counted again,
    # so the retention must exceed every way an event comes back: a relay re-publishing
    # after a crash, an unacked message redelivered, and above all dead-lettered messages
    # replayed by an operator (replay nothing older than this). At least a day. A round
    # deletes at most max_rows_per_round (at least one batch), so a backlog is spread over
    # rounds; the instances together must still delete more per interval than expires
    # meanwhile (2-3 records per payment), or the inbox outgrows the purge.
    inbox_retention_h: int = Field(168, ge=_MIN_INBOX_RETENTION_H)
    inbox_purge_interval_s: float = Field(300.0, gt=0)
    inbox_purge_max_rows_per_round: int = Field(1_000_000, ge=PURGE_BATCH)

    api_keys: Annotated[tuple[ApiKey, ...], NoDecode] = Field(
        default_factory=lambda: parse_api_keys(DEV_API_KEY), repr=False
    )
    currencies: Annotated[frozenset[str], NoDecode] = DEFAULT_CURRENCIES
    log_format: LogFormat = "console"
    log_level: LogLevel = "info"

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_workers: int = Field(1, ge=1)
    max_body_bytes: int = Field(16384, ge=1)
    request_timeout_s: float = Field(10.0, gt=0)
    # Per-API-key token bucket (§10), per process: sustained requests/s and burst size.
    # 0 in either turns the limit off.
    rate_limit_per_s: float = Field(100.0, ge=0)
    rate_limit_burst: int = Field(200, ge=0)
    # HTTP server limits, per process, enforced before the app sees a request: the request
    # line and headers together (431 past it), the time to receive them (from the
    # connection's start for its first request; 408), the time to receive a body once its
    # headers are in (408), and open connections (a request on one past the cap gets 503).
    api_max_header_bytes: int = Field(16384, ge=1024, le=1_048_576)
    api_header_timeout_s: float = Field(5.0, gt=0)
    api_body_timeout_s: float = Field(5.0, gt=0)
    api_max_connections: int = Field(1000, ge=1)
    # The API's Prometheus `/metrics`: on a port of its own (0 = not served), and on the
    # public API port (where it needs no key) only when api_metrics_public is set.
    api_metrics_host: str = "127.0.0.1"
    api_metrics_port: int = Field(9103, ge=0, le=65535)
    api_metrics_public: bool = False
    # Recovery of PENDING payments (§4): only payments older than this are touched, so a
    # request still inside its deadline settles its own; it is kept >= 2x the deadline.
    recovery_enabled: bool = True
    recovery_min_age_s: float = Field(60.0, gt=0)
    recovery_interval_s: float = Field(10.0, gt=0)
    recovery_batch: int = Field(100, ge=1)
    recovery_lookup_timeout_s: float = Field(5.0, gt=0)
    idempotency_retention_h: int = Field(24, ge=24)  # §5: records are kept at least 24 h
    purge_interval_s: float = Field(300.0, gt=0)
    # Outbox relay (§8): rows claimed per transaction, idle poll (NOTIFY wakes it sooner),
    # backoff ceiling while the broker is down, and how long sent rows are kept.
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_poll_interval_s: float = Field(1.0, gt=0)
    relay_max_backoff_s: float = Field(10.0, gt=0)
    relay_retention_h: int = Field(24, ge=0)
    relay_purge_interval_s: float = Field(300.0, gt=0)
    relay_concurrency: int = Field(1, ge=1, le=16)  # batches in flight per relay process
    # After a NOTIFY, wait this long before claiming, so the events committing right behind
    # the first share its batch (0 = claim at once).
    relay_linger_ms: float = Field(20.0, ge=0, le=1_000)
    # Where the relay serves Prometheus `/metrics` (0 = not served).
    relay_metrics_host: str = "127.0.0.1"
    relay_metrics_port: int = Field(9102, ge=0, le=65535)

    gateway_url: str = _GW.url
    gateway_connect_timeout_s: float = _GW.connect_timeout_s
    gateway_attempt_timeout_s: float = _GW.attempt_timeout_s
    gateway_max_attempts: int = _GW.max_attempts
    gateway_retry_budget_s: float = _GW.retry_budget_s
    gateway_backoff_initial_s: float = _GW.backoff_initial_s
    gateway_backoff_max_s: float = _GW.backoff_max_s
    gateway_backoff_jitter_s: float = _GW.backoff_jitter_s
    gateway_lookup_attempts: int = _GW.lookup_attempts
    gateway_max_concurrent: int = _GW.max_concurrent
    gateway_max_connections: int = _GW.max_connections
    gateway_breaker_failure_threshold: int = _GW.breaker_failure_threshold
    gateway_breaker_recovery_s: float = _GW.breaker_recovery_s

    _gateway: GatewaySettings = PrivateAttr()

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: Any) -> tuple[ApiKey, ...]:
        return parse_api_keys(value)

    @field_validator("currencies", mode="before")
    @classmethod
    def _parse_currencies(cls, value: Any) -> frozenset[str]:
        return parse_currencies(value)

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return "warning" if value == "warn" else value
        return value

    @model_validator(mode="after")
    def _compose_gateway(self) -> Settings:
        """Build (and so validate) the gateway settings once, at start-up."""
        prefix = "gateway_"
        fields = {
            name.removeprefix(prefix): getattr(self, name)
            for name in type(self).model_fields
            if name.startswith(prefix)
        }
        self._gateway = GatewaySettings(**fields)
        return self

    @property
    def gateway(self) -> GatewaySettings:
        return self._gateway

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Init kwargs, then env, then the YAML file named by WALLET_CONFIG_FILE."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV, "").strip()
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(f"{CONFIG_FILE_ENV} names no readable file: {path}")
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
        return tuple(sources)
