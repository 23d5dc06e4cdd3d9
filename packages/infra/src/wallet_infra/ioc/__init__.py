"""Dishka providers shared by the apps; each app adds its own and builds its container."""

from __future__ import annotations

from dishka import Provider

from wallet_infra.config.settings import Settings
from wallet_infra.ioc.core import CoreProvider
from wallet_infra.ioc.database import DatabaseProvider
from wallet_infra.ioc.gateway import GatewayHttpClient, GatewayProvider
from wallet_infra.ioc.persistence import PersistenceProvider
from wallet_infra.ioc.read_replicas import ReadReplicaProvider
from wallet_infra.ioc.settings import SettingsProvider


def infra_providers(settings: Settings) -> tuple[Provider, ...]:
    """Everything an app needs from infra, in override order (later wins)."""
    return (
        SettingsProvider(settings),
        DatabaseProvider(),
        PersistenceProvider(),
        CoreProvider(),
        GatewayProvider(),
    )


__all__ = [
    "CoreProvider",
    "DatabaseProvider",
    "GatewayHttpClient",
    "GatewayProvider",
    "PersistenceProvider",
    "ReadReplicaProvider",
    "SettingsProvider",
    "infra_providers",
]
