"""Routers, one per resource. Each handler: schema → domain request → use case → response.

`metrics.router` is not among ROUTERS: the API's metrics have a port of their own, and
the public port serves them only when the settings ask (see `make_app`). Nor is
`webhooks.router`: the API takes provider webhooks only in sync mode.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from wallet_api.routes import (
    balance,
    deposits,
    health,
    holds,
    metrics,
    payments,
    providers,
    transactions,
    transfers,
    wallets,
    webhooks,
)

ROUTERS: Final[tuple[APIRouter, ...]] = (
    wallets.router,
    deposits.router,
    holds.router,
    payments.router,
    transfers.router,
    balance.router,
    transactions.router,
    providers.router,
    health.router,
)
PUBLIC_METRICS_ROUTER: Final = metrics.router
WEBHOOKS_ROUTER: Final = webhooks.router
