"""Process settings: `WALLET_*` env vars over an optional YAML file over defaults.

One model shared by every app, so `WALLET_GATEWAY_URL` and friends read the same
everywhere. The gateway client's knobs are the nested `gateway` model (GatewaySettings),
still named as when they were flat fields: env `WALLET_GATEWAY_<KNOB>` (one `_` after
the field name leads into the nested model) and, in YAML or keyword arguments, either
`gateway: {<knob>: ...}` or the flat `gateway_<knob>: ...`.
Validation fails at start-up, never mid-request, and error messages never echo input
(keys and DSNs are secrets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, field_validator, model_validator
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
from wallet_infra.config.connection_urls import checked_amqp_url, checked_postgres_url
from wallet_infra.config.lists import parse_currencies, split_list
from wallet_infra.config.webhook_secrets import parse_webhook_secrets
from wallet_infra.gateway.settings import GatewaySettings

CONFIG_FILE_ENV: Final = "WALLET_CONFIG_FILE"
_FLAT_GATEWAY_PREFIX: Final = "gateway_"
_MIN_INBOX_RETENTION_H: Final = int(MIN_RETENTION.total_seconds()) // 3600
# Rows per DELETE of the inbox purge: a few ms of locks and WAL each, few round trips for
# a day's records. Here because a round's cap must be at least one batch.
INBOX_PURGE_BATCH: Final = 1_000

# The mock gateway signs with this by default (MOCK_WEBHOOK_SECRET): development only.
DEV_WEBHOOK_SECRET: Final = "whsec_ZGV2LW9ubHktbW9jay13ZWJob29rLXNlY3JldA=="  # noqa: S105
LogFormat = Literal["json", "console"]
LogLevel = Literal["debug", "info", "warning", "error"]


def nest_gateway_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """`{"gateway_url": u}` as `{"gateway": {"url": u}}`, merged into any `gateway` given;
    a flat key wins over the same nested one. A non-mapping `gateway` is left for
    validation to reject."""
    flat = {
        key.removeprefix(_FLAT_GATEWAY_PREFIX): value
        for key, value in values.items()
        if key.startswith(_FLAT_GATEWAY_PREFIX)
    }
    nested = values.get("gateway", {})
    if isinstance(nested, GatewaySettings):
        nested = nested.model_dump()
    if not flat or not isinstance(nested, Mapping):
        return dict(values)
    kept = {k: v for k, v in values.items() if not k.startswith(_FLAT_GATEWAY_PREFIX)}
    return {**kept, "gateway": {**nested, **flat}}


class _YamlSource(YamlConfigSettingsSource):
    """The YAML file, its flat `gateway_*` keys nested before the sources are merged, so
    an env var still wins over the file for the same gateway knob."""

    def __call__(self) -> dict[str, Any]:
        return nest_gateway_keys(super().__call__())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WALLET_",
        # `WALLET_GATEWAY_CONNECT_TIMEOUT_S` is gateway.connect_timeout_s: the first `_`
        # after a nested model's field name is the only one that nests.
        env_nested_delimiter="_",
        env_nested_max_split=1,
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
    )

    database_url: str = Field("postgresql://wallet:wallet@localhost:5432/wallet", repr=False)
    # Per process. Statements are short, so a few connections keep PostgreSQL busy; more
    # only queue inside it (measured on 2 cores: 20+10 per API worker gave ~11% fewer
    # payments/s than 8+0). No overflow by default: an overflow connection is closed as
    # soon as it is returned, so a sustained burst opens and closes one per statement.
    db_pool_size: int = Field(8, ge=1)
    db_max_overflow: int = Field(0, ge=0)
    db_statement_timeout_ms: int | None = Field(None, ge=1)
    # Streaming replicas for reads that tolerate lag (history, hold lists, settled
    # payments/holds, transfers); none by default. Each is checked every interval in the
    # background and skipped while down or lagging more than the max (reads go to the
    # primary then).
    database_replica_urls: Annotated[tuple[str, ...], NoDecode] = Field((), repr=False)
    replica_max_lag_ms: int = Field(500, ge=0)
    replica_check_interval_s: float = Field(0.5, gt=0)
    amqp_url: str = Field("amqp://guest:guest@localhost:5672/", repr=False)
    # Event consumers: where each serves its HTTP probes, and how many
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
    inbox_purge_max_rows_per_round: int = Field(1_000_000, ge=INBOX_PURGE_BATCH)

    api_keys: Annotated[tuple[ApiKey, ...], NoDecode] = Field(
        default_factory=lambda: parse_api_keys(DEV_API_KEY), repr=False
    )
    # Failed API-key attempts per client address (IPv6: per /64), per process: a burst of
    # failures, then one more per 1/rate seconds; past it, 429 for that address. At most
    # max_clients addresses are remembered. 0 in rate or burst turns it off.
    auth_failure_rate_per_s: float = Field(0.1, ge=0)
    auth_failure_burst: int = Field(20, ge=0)
    auth_failure_max_clients: int = Field(10_000, ge=1)
    currencies: Annotated[frozenset[str], NoDecode] = DEFAULT_CURRENCIES
    log_format: LogFormat = "console"
    log_level: LogLevel = "info"

    # Provider webhooks: "sync" = the API's POST /webhooks/gateway verifies and applies them;
    # "broker" = wallet-webhook-ingest verifies and publishes them, wallet-webhook-consumer
    # applies them (the API's route then answers 404). Secrets are Standard Webhooks
    # `whsec_<base64>` strings, comma-separated: any of them verifies (rotation). No
    # secret configured = webhooks refused (401), never accepted unsigned. The default is
    # the mock gateway's published development secret, like the dev API key: replace it.
    webhook_mode: Literal["sync", "broker"] = "sync"
    webhook_secrets: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(DEV_WEBHOOK_SECRET,), repr=False
    )
    webhook_ingest_host: str = "127.0.0.1"
    webhook_ingest_port: int = Field(8001, ge=1, le=65535)
    # Worker processes (as api_workers): unset, WEB_CONCURRENCY, else 1.
    webhook_ingest_workers: int | None = Field(None, ge=1)
    webhook_ingest_keep_alive_s: int = Field(75, ge=1)  # as api_keep_alive_s
    # The ingest is public too: the same HTTP server limits as the API's (api_max_* below),
    # set apart, as the two face different clients.
    webhook_ingest_max_header_bytes: int = Field(16384, ge=1024, le=1_048_576)
    webhook_ingest_header_timeout_s: float = Field(5.0, gt=0)
    webhook_ingest_body_timeout_s: float = Field(5.0, gt=0)
    webhook_ingest_max_connections: int = Field(1000, ge=1)
    # Broker mode: the ingest answers 202 only once RabbitMQ confirmed the webhook, and 503
    # (the provider retries) when no confirm came within this deadline or the broker is
    # down. Its Prometheus `/metrics` are on a port of their own (0 = not served), never
    # on the port the provider reaches. The webhook consumer serves `/healthz` and
    # `/metrics` on webhook_consumer_host:webhook_consumer_port.
    webhook_ingest_confirm_timeout_s: float = Field(5.0, gt=0, le=60)
    webhook_ingest_metrics_host: str = "127.0.0.1"
    webhook_ingest_metrics_port: int = Field(9105, ge=0, le=65535)
    webhook_consumer_host: str = "127.0.0.1"
    webhook_consumer_port: int = Field(9106, ge=1, le=65535)

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    # uvicorn worker processes; unset: WEB_CONCURRENCY, else 1 (wallet_infra.http_server.workers).
    api_workers: int | None = Field(None, ge=1)
    max_body_bytes: int = Field(16384, ge=1)
    request_timeout_s: float = Field(10.0, gt=0)
    # Per-API-key token bucket, per process: sustained requests/s and burst size.
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
    # An idle keep-alive connection is closed after this long. Longer than the idle time of
    # the clients and load balancers in front (httpx 5 s, load balancers 60 s): a server
    # that closes first races a client reusing the connection, whose request then meets
    # the close and fails without an answer.
    api_keep_alive_s: int = Field(75, ge=1)
    # The API's Prometheus `/metrics`: on a port of its own (0 = not served), and on the
    # public API port (where it needs no key, as the API's contract lists it) unless
    # api_metrics_public is turned off (an operator who scrapes the own port only).
    api_metrics_host: str = "127.0.0.1"
    api_metrics_port: int = Field(9103, ge=0, le=65535)
    api_metrics_public: bool = True
    # Recovery of PENDING payments: only payments older than this are touched, so a
    # request still inside its deadline settles its own; it is kept >= 2x the deadline.
    recovery_enabled: bool = True
    recovery_min_age_s: float = Field(60.0, gt=0)
    recovery_interval_s: float = Field(10.0, gt=0)
    recovery_batch: int = Field(100, ge=1)
    recovery_lookup_timeout_s: float = Field(5.0, gt=0)
    # A payment the worker fails to settle is set aside (the others go on), first for
    # this long, doubling per failure up to the max; counted in
    # wallet_recovery_settle_failures_total.
    recovery_backoff_base_s: float = Field(30.0, gt=0)
    recovery_backoff_max_s: float = Field(3600.0, gt=0)
    # A payment whose outcome the gateway could not tell yet is asked about again after
    # this long, doubling per answer still unknown up to the max, so the rounds meanwhile
    # reach the payments nobody has asked about (wallet_recovery_still_pending counts them).
    recovery_recheck_base_s: float = Field(30.0, gt=0)
    recovery_recheck_max_s: float = Field(300.0, gt=0)
    # Hold expiry worker (every API process): how often it looks for holds past their
    # expires_at, and how many it releases per transaction.
    hold_expiry_enabled: bool = True
    hold_expiry_interval_s: float = Field(5.0, gt=0)
    hold_expiry_batch: int = Field(100, ge=1, le=10_000)
    # Dispute events' monthly partitions (every API process): how many months after the
    # current one get theirs ahead of time, and how often that is checked.
    dispute_partitions_enabled: bool = True
    dispute_partitions_ahead: int = Field(3, ge=1, le=24)
    dispute_partitions_interval_s: float = Field(3600.0, gt=0)
    idempotency_retention_h: int = Field(24, ge=24)  # a client may retry for at least a day
    purge_interval_s: float = Field(300.0, gt=0)
    # Outbox relay: rows claimed per transaction, idle poll (NOTIFY wakes it sooner),
    # backoff ceiling while the broker or the database is down, and how long sent rows
    # are kept.
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_poll_interval_s: float = Field(1.0, gt=0)
    relay_max_backoff_s: float = Field(10.0, gt=0)
    # An event the broker did not confirm (unroutable, nacked, unconfirmed in time) is set
    # aside, alone, for this long, doubling per failed attempt up to the max; the other
    # events go on meanwhile. Counted in wallet_relay_publish_failed_total.
    relay_retry_base_s: float = Field(1.0, gt=0)
    relay_retry_max_s: float = Field(60.0, gt=0)
    relay_retention_h: int = Field(24, ge=0)
    relay_purge_interval_s: float = Field(300.0, gt=0)
    relay_concurrency: int = Field(1, ge=1, le=16)  # batches in flight per relay process
    # After a NOTIFY, wait this long before claiming, so the events committing right behind
    # the first share its batch (0 = claim at once).
    relay_linger_ms: float = Field(20.0, ge=0, le=1_000)
    # Where the relay serves Prometheus `/metrics` (0 = not served).
    relay_metrics_host: str = "127.0.0.1"
    relay_metrics_port: int = Field(9102, ge=0, le=65535)

    # Reconciliation with the provider (`wallet-reconcile`). With `--every`, one round per
    # interval over the last window_h hours (0 = the periodic job is off), its gauges on
    # the metrics port (0 = not served). What `--fix` does with a charge the provider made
    # while the ledger refunded it: `redebit` (when the balance covers it, else flag for
    # review) or `flag` (always flag).
    reconcile_interval_s: float = Field(900.0, ge=0)
    reconcile_window_h: float = Field(24.0, gt=0)
    reconcile_charged_but_refunded: Literal["redebit", "flag"] = "redebit"
    reconcile_metrics_host: str = "127.0.0.1"
    reconcile_metrics_port: int = Field(9104, ge=0, le=65535)

    gateway: GatewaySettings = GatewaySettings()

    @model_validator(mode="before")
    @classmethod
    def _nest_flat_gateway_keys(cls, values: Any) -> Any:
        """Flat `gateway_*` keyword arguments (and `model_validate` input) still work."""
        return nest_gateway_keys(values) if isinstance(values, Mapping) else values

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, value: Any) -> tuple[ApiKey, ...]:
        return parse_api_keys(value)

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _parse_webhook_secrets(cls, value: Any) -> tuple[str, ...]:
        return parse_webhook_secrets(value)

    @field_validator("database_replica_urls", mode="before")
    @classmethod
    def _split_replica_urls(cls, value: Any) -> tuple[str, ...]:
        setting = "WALLET_DATABASE_REPLICA_URLS"
        return tuple(checked_postgres_url(str(url), setting) for url in split_list(value))

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return checked_postgres_url(value, "WALLET_DATABASE_URL")

    @field_validator("amqp_url")
    @classmethod
    def _check_amqp_url(cls, value: str) -> str:
        return checked_amqp_url(value, "WALLET_AMQP_URL")

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
            sources.append(_YamlSource(settings_cls, yaml_file=path))
        return tuple(sources)
