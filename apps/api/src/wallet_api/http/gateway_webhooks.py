"""The API's side of sync-mode webhooks: verify with the configured secrets, or refuse all.

With no secret configured (`WALLET_WEBHOOK_SECRETS=`) every webhook is refused as unsigned
(401): an API is never made to accept unsigned events by leaving a setting empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from wallet_domain.errors import WebhookSignatureInvalid
from wallet_domain.model.provider_event import ProviderEvent
from wallet_infra.webhooks.signature import WebhookVerifier

# Where the provider posts (sync mode); the API-key middleware lets exactly this path through.
WEBHOOK_PATH: Final = "/webhooks/gateway"


class GatewayWebhooks:
    """One per process: the verifier is built once from the secrets."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self._verifier = WebhookVerifier(secrets) if secrets else None

    def event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """The verified event; `WebhookSignatureInvalid` (401) or `ValidationError` (400)."""
        if self._verifier is None:
            raise WebhookSignatureInvalid()
        return self._verifier.verified_event(body, headers)
