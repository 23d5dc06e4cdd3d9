"""The API's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from dishka import Provider, make_async_container
from dishka.integrations.fastapi import FastapiProvider
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from wallet_infra.config.settings import Settings
from wallet_infra.ioc import ReadReplicaProvider, infra_providers
from wallet_infra.ioc.provider_events import ProviderEventsProvider
from wallet_infra.ioc.recovery import RecoveryBackoffProvider
from wallet_infra.logging_setup import configure_logging
from wallet_infra.startup_heap import freeze_startup_heap
from wallet_infra.telemetry import configure_telemetry, tracing_active

from wallet_api.docs_ui import fastapi_with_local_docs
from wallet_api.edge_first import skip_framework_layers
from wallet_api.errors.handlers import install_error_handlers
from wallet_api.fast_lane.install import install_fast_lane
from wallet_api.ioc import ApiProvider, PrimaryOnlyHistoryProvider
from wallet_api.lifespan import make_lifespan
from wallet_api.middleware.request_containers import install_request_containers
from wallet_api.middleware.server_span import ServerSpanMiddleware
from wallet_api.middleware.stack import install_middlewares
from wallet_api.openapi import install_openapi
from wallet_api.routes import PUBLIC_METRICS_ROUTER, ROUTERS, WEBHOOKS_ROUTER

SERVICE_NAME: Final = "wallet-api"
# FastAPI's own OpenTelemetry layer, off: the server spans come from
# middleware/server_span.py (their names and attributes are documented), metrics from
# prometheus_client. Left on, it would check the global providers and walk the middleware
# stack on every request, and record a second set of metrics or logs once an OTel meter or
# logger is configured.
NO_NATIVE_TELEMETRY: Final[TelemetryConfig] = {"tracing": False, "metrics": False, "logs": False}


def add_routes_flat(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Every route of `routers` straight into the app's own route list, in order.

    `include_router` would wrap each router in an included-router node that FastAPI
    matches route by route through scope bookkeeping on every request (~0.1 ms of CPU per
    request with our dozen routers); these routers take no prefix, dependencies or
    options at inclusion, so their routes are complete as they are."""
    for router in routers:
        app.router.routes.extend(router.routes)


def make_app(*providers: Provider, settings: Settings | None = None) -> FastAPI:
    """Build the app. `providers` are added after the defaults and override them
    (tests swap the gateway's HTTP client this way). Without `settings`, they are read
    from the environment, which is how uvicorn's factory mode calls this in each worker.
    """
    settings = settings or Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    container = make_async_container(
        *infra_providers(settings),
        ProviderEventsProvider(),
        ReadReplicaProvider(),
        RecoveryBackoffProvider(),
        ApiProvider(),
        *([] if settings.database_replica_urls else [PrimaryOnlyHistoryProvider()]),
        FastapiProvider(),
        *providers,
    )
    app = fastapi_with_local_docs(
        title="Wallet & Payments API",
        version="1.0.0",
        description="Wallets, deposits, payments to service providers, balances, history.",
        lifespan=make_lifespan(container, settings),
        # `/wallets/` is not `/wallets`: 404, never a redirect. Starlette's redirect to the
        # other spelling builds its absolute Location from the client's Host header.
        redirect_slashes=False,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    install_error_handlers(app)
    routers = [
        *ROUTERS,
        *([PUBLIC_METRICS_ROUTER] if settings.api_metrics_public else []),
        *([WEBHOOKS_ROUTER] if settings.webhook_mode == "sync" else []),
    ]
    add_routes_flat(app, routers)
    install_openapi(app, currencies=settings.currencies)  # before the lane reorders routes
    install_fast_lane(app)
    install_request_containers(app, container)
    install_middlewares(app, settings)
    # Outermost, around every middleware: the server span is current for the whole
    # request, so logs, DB and gateway spans, and the outbox's traceparent all join it.
    # Only when the process installed a TracerProvider (an exporter is configured): without
    # one a span would be made per request for nothing.
    if tracing_active():
        app.add_middleware(ServerSpanMiddleware)
    skip_framework_layers(app)
    return app


def serve_app() -> FastAPI:
    """uvicorn's factory in `wallet-api`: the process's telemetry (`OTEL_*`), then the
    app. Each worker process runs it, so each installs its own TracerProvider; then its
    start-up heap is frozen (only here: tests build many apps in one process)."""
    configure_telemetry(SERVICE_NAME)
    app = make_app()
    freeze_startup_heap()
    return app
