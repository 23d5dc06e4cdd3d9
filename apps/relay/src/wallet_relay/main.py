"""The relay's composition root: `make_app` is the only place adapters are chosen."""

from __future__ import annotations

from typing import Final

from dishka import Provider, make_async_container
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.core import CoreProvider
from wallet_infra.ioc.database import DatabaseProvider
from wallet_infra.ioc.messaging import MessagingProvider
from wallet_infra.ioc.persistence import PersistenceProvider
from wallet_infra.ioc.relay import OutboxRelayProvider
from wallet_infra.ioc.settings import SettingsProvider

from wallet_relay.ioc import RelayProvider
from wallet_relay.lifespan import RelayApp

SERVICE_NAME: Final = "wallet-relay"


def relay_providers(settings: Settings) -> tuple[Provider, ...]:
    """Everything the relay needs from infra, in override order (later wins)."""
    return (
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        CoreProvider(),
        MessagingProvider(),
        OutboxRelayProvider(),
    )


def make_app(*providers: Provider, settings: Settings | None = None) -> RelayApp:
    """Build the relay (nothing starts until `serve()` or `run(stop)`). `providers` are
    added after the defaults and override them (tests swap adapters this way). Without
    `settings`, they are read from the environment. Logging is the process's to set up
    (`__main__`), so a test's log capture around the relay stays in place."""
    settings = settings or Settings()
    container = make_async_container(*relay_providers(settings), RelayProvider(), *providers)
    return RelayApp(container=container, settings=settings)
