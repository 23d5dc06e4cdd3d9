"""The webhook consumer's own providers: what `ApplyProviderEvent` needs besides infra's
`ProviderEventsProvider`. A `payment.settled` settles a PENDING payment exactly as the
API's recovery worker does (`PaymentSettlement`), and a payment whose idempotency key is
still open gets the reply the API would have sent, rendered by the API's own encoder so a
client's replay is byte for byte what the API answers (the one import of the API,
allowed by name in the import contracts)."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from prometheus_client import CollectorRegistry
from wallet_api.http.response_encoder import JsonResponseEncoder
from wallet_domain.ports.response_encoder import ResponseEncoder
from wallet_domain.settlement import PaymentSettlement
from wallet_infra.ioc.provider_events import ProviderEventsProvider


class WebhookConsumerProvider(Provider):
    scope = Scope.REQUEST

    settlement = provide(PaymentSettlement)
    encoder = provide(JsonResponseEncoder, provides=ResponseEncoder, scope=Scope.APP)


def webhook_consumer_providers(registry: CollectorRegistry) -> tuple[Provider, ...]:
    """The use case and its adapters (counting on the app's `registry`), then ours."""
    return (ProviderEventsProvider(registry), WebhookConsumerProvider())
