"""httpx adapter for the PaymentGateway port: pooled client, retries, breaker, bulkhead."""

from wallet_infra.gateway.adapter import HttpxPaymentGateway
from wallet_infra.gateway.breaker import BreakerState, CircuitBreaker
from wallet_infra.gateway.bulkhead import Bulkhead
from wallet_infra.gateway.http_client import make_gateway_http_client
from wallet_infra.gateway.settings import GatewaySettings

__all__ = [
    "BreakerState",
    "Bulkhead",
    "CircuitBreaker",
    "GatewaySettings",
    "HttpxPaymentGateway",
    "make_gateway_http_client",
]
