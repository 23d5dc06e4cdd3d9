"""Composition root of the relay: the one place its concrete adapters are chosen."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container
from wallet_infra.config.settings import Settings
from wallet_infra.ioc.core import CoreProvider
from wallet_infra.ioc.database import DatabaseProvider
from wallet_infra.ioc.messaging import MessagingProvider
from wallet_infra.ioc.persistence import PersistenceProvider
from wallet_infra.ioc.relay import OutboxRelayProvider
from wallet_infra.ioc.settings import SettingsProvider

from wallet_relay.ioc import RelayProvider


def relay_providers(settings: Settings) -> tuple[Provider, ...]:
    """Everything the relay needs, in override order (later wins)."""
    return (
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        CoreProvider(),
        MessagingProvider(),
        OutboxRelayProvider(),
        RelayProvider(),
    )


def make_container(*overrides: Provider, settings: Settings | None = None) -> AsyncContainer:
    """The relay's container; tests pass override providers after the real ones."""
    settings = settings or Settings()
    return make_async_container(*relay_providers(settings), *overrides)
