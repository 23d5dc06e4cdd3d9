"""Clock and ids (APP), for every process."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from wallet_domain.ports.clock import Clock
from wallet_domain.ports.id_generator import IdGenerator

from wallet_infra.clock import SystemClock
from wallet_infra.ids import UuidV7Generator


class CoreProvider(Provider):
    clock = provide(SystemClock, provides=Clock, scope=Scope.APP)
    ids = provide(UuidV7Generator, provides=IdGenerator, scope=Scope.APP)
