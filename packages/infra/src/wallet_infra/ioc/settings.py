"""The process settings and what derives from them, APP scope."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from wallet_infra.config.settings import Settings
from wallet_infra.gateway.settings import GatewaySettings


class SettingsProvider(Provider):
    """Serves the one Settings instance the process was started with.

    The instance is given, not read here, so tests and every app choose how settings
    are loaded (env, YAML, explicit values) and the container never reads the env itself.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(scope=Scope.APP)
        self._settings = settings

    @provide
    def settings(self) -> Settings:
        return self._settings

    @provide
    def gateway_settings(self, settings: Settings) -> GatewaySettings:
        return settings.gateway

    @provide
    def currencies(self, settings: Settings) -> frozenset[str]:
        """The supported currencies; the only `frozenset[str]` in the graph, which is what
        the use cases' `currencies` parameter asks for."""
        return settings.currencies
