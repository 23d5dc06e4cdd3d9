"""Routers, one per resource. Each handler: schema → domain request → use case → response."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from wallet_api.routes import (
    balance,
    deposits,
    health,
    metrics,
    payments,
    providers,
    transactions,
    transfers,
    wallets,
)

ROUTERS: Final[tuple[APIRouter, ...]] = (
    wallets.router,
    deposits.router,
    payments.router,
    transfers.router,
    balance.router,
    transactions.router,
    providers.router,
    health.router,
    metrics.router,
)
