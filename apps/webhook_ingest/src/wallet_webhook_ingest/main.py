"""The ingest's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider, make_async_container
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from wallet_infra.config.settings import Settings
from wallet_infra.consuming.startup_dependencies import StartupDependencies
from wallet_infra.ioc.settings import SettingsProvider
from wallet_infra.logging_setup import configure_logging
from wallet_infra.startup_heap import freeze_startup_heap
from wallet_infra.telemetry import configure_telemetry, tracing_disabled

from wallet_webhook_ingest.ioc import APP_ID, IngestProvider
from wallet_webhook_ingest.lifespan import make_lifespan
from wallet_webhook_ingest.replies import on_http_exception
from wallet_webhook_ingest.routes import routes

# Probes every few seconds: a span each would drown the webhooks.
UNTRACED_URLS: Final = "/healthz,/readyz"


def make_app(*providers: Provider, settings: Settings | None = None) -> Starlette:
    """Build the app (nothing connects until its lifespan starts). `providers` are added
    after the defaults and override them. Without `settings`, they are read from the
    environment."""
    settings = settings or Settings()
    configure_logging(log_format=settings.log_format, log_level=settings.log_level)
    container = make_async_container(SettingsProvider(settings), IngestProvider(), *providers)
    dependencies = StartupDependencies()
    app = Starlette(
        routes=routes(dependencies),
        lifespan=make_lifespan(container, settings, dependencies),
        exception_handlers={HTTPException: on_http_exception},
    )
    # A server span per webhook, current while it is verified and published: the publish
    # span is its child and the consumer continues the trace from the message.
    if not tracing_disabled():
        app.add_middleware(
            OpenTelemetryMiddleware,
            excluded_urls=UNTRACED_URLS,
            exclude_spans=["receive", "send"],
        )
    return app


def serve_app() -> Starlette:
    """uvicorn's factory in `wallet-webhook-ingest`: each worker process builds its own
    app (its broker connection, its telemetry), settings from the environment; then its
    start-up heap is frozen (only here: tests build many apps in one process)."""
    configure_telemetry(APP_ID)
    app = make_app()
    freeze_startup_heap()
    return app
